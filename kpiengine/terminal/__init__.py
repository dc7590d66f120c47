"""What the command line prints: result tables, lint findings and analyses as text (or JSON/CSV).

The output layer: it formats what the engine computed and computes nothing itself.
"""
