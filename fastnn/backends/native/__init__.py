"""Native (Cython/C) kernels. Each family module validates its inputs in
Python, then calls the compiled ``_<family>`` extension without the GIL."""
