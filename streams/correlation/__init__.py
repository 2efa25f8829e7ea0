"""Correlation keys (phone numbers in E.164, customer ids) that tie events to calls."""
