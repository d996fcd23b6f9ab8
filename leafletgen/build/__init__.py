"""Build keys, the manifest, worker processes and the build itself."""
