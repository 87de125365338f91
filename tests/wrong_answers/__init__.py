"""Wrong answers for every exercise question, one module per exercise (used by test_exercises.py)."""
