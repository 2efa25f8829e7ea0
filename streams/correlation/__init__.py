"""correlation"""
