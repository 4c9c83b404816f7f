"""Cutline."""
