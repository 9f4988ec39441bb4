"""The pure domain core: detection, rules, planning, rendering. Takes ``now`` as an argument
and imports nothing outside itself (the contracts in .importlinter keep it so)."""
