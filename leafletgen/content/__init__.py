"""The document model (no I/O) and its sources: leaflet YAML and the pharmacy profile, validated."""
