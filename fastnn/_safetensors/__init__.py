"""The parts of fastnn.save / fastnn.load (fastnn/io.py), one concern per file: header
(format), structure (JSON nodes), atomic (file replacement), read (paths and streams)."""
