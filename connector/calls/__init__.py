"""Calls: Teams call records and the PSTN call log → CALL entries (docs/calls.md).

`connector/streams/calls.py` reads Graph (requests, msgspec decoding into `items.py`),
`plan.py` decides what each call logs, `write.py` writes it, `round.py` runs a round.
"""
