"""The model-based check of capture (issue 11, item 7).

- `world.py`: the people, the actions of a mailbox history and what the mailboxes hold;
- `generate.py`: a seeded generator of histories;
- `reference.py`: the reference model, pure functions written from docs/capture.md;
- `emulate.py`: an action as emulator state changes; `harness.py`: a history run through
  real syncs against the emulator, and its log compared with the model's.
"""
