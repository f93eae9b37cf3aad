"""Accounts pages, uploads, galleries and their models."""
