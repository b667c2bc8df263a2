"""The sync engine: one generic loop over streams, cursors, runs and removal checks."""
