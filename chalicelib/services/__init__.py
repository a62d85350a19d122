"""Use cases: each orchestrates domain rules and adapters and owns its transaction."""
