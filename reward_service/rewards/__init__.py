"""Pure reward functions: text in, grades out. No I/O, no clocks, no globals that change."""
