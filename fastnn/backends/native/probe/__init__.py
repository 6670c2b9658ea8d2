"""Machine probes for the roofline (``python -m fastnn.bench --roofline``): the
compiled loops behind fastnn/bench/roofline.py, which times them. Not kernels:
nothing in fastnn's layers calls them."""
