"""The domain: Schwartz's values, personas, prompt templates, settings, messages, errors."""
