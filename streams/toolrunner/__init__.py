"""toolrunner"""
