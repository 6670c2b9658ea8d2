# Type stub of the compiled extension _rnn (_rnn.pyx): the entry points that
# __init__.py calls. Arrays are C-contiguous float32 or float64 (one dtype per
# call), lengths int64; None stands for an absent optional array.
from typing import Optional

import numpy as np
from numpy.typing import NDArray

_A = NDArray[np.floating]
_Opt = Optional[NDArray[np.floating]]
_Len = Optional[NDArray[np.int64]]

def isa_level() -> int: ...
def rnn_forward(x: _A, h0: _A, w_ih: _A, w_hh: _A, bias: _A, lengths: _Len, relu: int, y: _A,
                h_n: _A, x_bm: int = ...) -> None: ...
def rnn_backward(x: _A, h0: _A, w_ih: _A, w_hh: _A, lengths: _Len, relu: int, y: _A,
                 dy: _Opt, dh: _A, dx: _Opt, dw_ih: _A, dw_hh: _A, db_ih: _Opt, db_hh: _Opt,
                 work: _A, x_bm: int = ..., dy_bm: int = ...,
                 need_dh0: int = ...) -> None: ...
def lstm_forward(x: _A, h0: _A, c0: _A, w_ih: _A, w_hh: _A, bias: _A, lengths: _Len, y: _A,
                 h_n: _A, c_n: _A, gates: _A, cs: _A, x_bm: int = ...) -> None: ...
def lstm_backward(x: _A, h0: _A, c0: _A, w_ih: _A, w_hh: _A, lengths: _Len, y: _A, gates: _A,
                  cs: _A, dy: _Opt, dh: _A, dc: _A, dx: _Opt, dw_ih: _A, dw_hh: _A,
                  db_ih: _Opt, db_hh: _Opt, work: _A, x_bm: int = ...,
                  dy_bm: int = ..., need_dh0: int = ...) -> None: ...
def gru_forward(x: _A, h0: _A, w_ih: _A, w_hh: _A, b_ih: _A, b_hh: _A, lengths: _Len, y: _A,
                h_n: _A, gates: _A, hn: _A, work: _A, x_bm: int = ...) -> None: ...
def gru_backward(x: _A, h0: _A, w_ih: _A, w_hh: _A, lengths: _Len, y: _A, gates: _A, hn: _A,
                 dy: _Opt, dh: _A, dx: _Opt, dw_ih: _A, dw_hh: _A, db_ih: _Opt, db_hh: _Opt,
                 work_ih: _A, work_hh: _A, x_bm: int = ..., dy_bm: int = ...,
                 need_dh0: int = ...) -> None: ...
