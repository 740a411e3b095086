"""Report files people look at: profile.json, responses.csv, summary.md, radar charts."""
