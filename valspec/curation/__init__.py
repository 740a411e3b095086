"""Building value-labelled datasets from your own media: sources, keywords, retrieval, hygiene."""
