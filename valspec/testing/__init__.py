"""Helpers for testing valspec and models with it (tiny real-architecture models)."""
