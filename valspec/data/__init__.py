"""Datasets and media: manifest validation, content hashes, frame sampling and encoding."""
