"""The engine: plan what the selected cases need, answer each query once, cache answers."""
