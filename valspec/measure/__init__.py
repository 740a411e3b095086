"""Measurement: statistics, scores with intervals, the gate's decision, drift, baselines."""
