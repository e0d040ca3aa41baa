"""What the tests share: the simulator, civic-etl runs, the truth, a virtual clock, PostgreSQL."""
