"""Atomic file replacement for fastnn.save: write beside the target, then rename."""
import errno
import os
import re
import secrets
import time

# A save writes the whole file under another name, then renames it over ``path``:
# a reader, a crash or a kill never sees half a file. What a kill -9 can leave is
# the temporary file. On Linux it has no name while the data is written (O_TMPFILE:
# the kernel frees an unnamed file whose process dies); it gets a name just
# before the rename, so only a kill between those two system calls leaves one.
# Elsewhere (or where the filesystem has no O_TMPFILE) it is named from the start.
# Either way every save first deletes the temporaries that earlier, killed saves
# of the same target left: so at most one is ever left behind.
#
# A temporary's name says which target and which process made it:
#     .<target name>.fastnn-<pid>-<8 hex digits>.tmp
# and one is deleted only when all of these hold: it matches that pattern for this
# target exactly, it is a regular file of this user, it was last written before the
# current save began, and its process is gone on this machine (another process may
# be saving the same target right now). Processes on two machines saving one target
# of a shared filesystem at the same moment are not told apart; their renames would
# race anyway.
_UNNAMED_TEMP = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _temp_pattern(base):
    return re.compile(r"\." + re.escape(base) + r"\.fastnn-(\d+)-[0-9a-f]{8}\.tmp")


def _temp_name(directory, base):
    return os.path.join(directory, f".{base}.fastnn-{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _process_gone(pid):
    if os.name != "posix":
        return False  # no harmless liveness probe (os.kill terminates on Windows): keep it
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: alive, another user's
        return False
    return False


def _remove_stale_temps(directory, base, started):
    """Delete the temporaries killed saves of ``base`` left in ``directory``."""
    pattern = _temp_pattern(base)
    uid = getattr(os, "getuid", lambda: None)()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if (not entry.is_file(follow_symlinks=False) or (uid is not None and st.st_uid != uid)
                    or st.st_mtime >= started or not _process_gone(int(m.group(1)))):
                continue
            os.unlink(entry.path)
        except OSError:
            pass  # gone already, or not ours to delete: a later save tries again


def _open_unnamed(directory):
    """A writable file with no name in ``directory`` (Linux O_TMPFILE), or None."""
    if not _UNNAMED_TEMP:
        return None
    try:
        # read-write: should naming it fail, its bytes can still be copied out
        return os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
    except OSError as exc:
        # EOPNOTSUPP: the filesystem has none; EISDIR/EINVAL: the kernel predates it
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; elsewhere a directory cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _AtomicFile:
    """``with _AtomicFile(path) as f:`` -- f is a binary file; on a clean exit its
    contents replace ``path`` in one rename; on an exception ``path`` is untouched
    and the temporary is gone."""

    def __init__(self, path):
        self.path = path
        self.directory = os.path.dirname(os.path.abspath(path))
        self.base = os.path.basename(path)
        self.tmp = None

    def __enter__(self):
        _remove_stale_temps(self.directory, self.base, time.time())
        fd = _open_unnamed(self.directory)
        if fd is None:
            while True:
                self.tmp = _temp_name(self.directory, self.base)
                try:
                    fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                 | getattr(os, "O_BINARY", 0), 0o600)
                    break
                except FileExistsError:
                    continue
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, exc_type, exc, tb):
        f = self.file
        try:
            if exc_type is None:
                f.flush()
                os.fsync(f.fileno())
                if self.tmp is None:
                    self._publish_unnamed(f.fileno())
                f.close()
                os.replace(self.tmp, self.path)
                self.tmp = None
                _fsync_directory(self.directory)
        finally:
            f.close()
            if self.tmp is not None:
                try:
                    os.unlink(self.tmp)
                except OSError:
                    pass
        return False

    def _publish_unnamed(self, fd):
        global _UNNAMED_TEMP
        try:
            self._name_unnamed(fd)
        except OSError:
            # /proc not usable here (a sandbox): copy the bytes to a named temporary,
            # and name temporaries from the start from now on.
            _UNNAMED_TEMP = False
            tmp = _temp_name(self.directory, self.base)
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self.tmp = tmp
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                while True:
                    chunk = os.read(fd, 1 << 24)
                    if not chunk:
                        break
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(out, view):]
                os.fsync(out)
            finally:
                os.close(out)

    def _name_unnamed(self, fd):
        # linkat(<fd of /proc/self/fd>, "N", AT_FDCWD, tmp, AT_SYMLINK_FOLLOW): open(2)'s
        # way to name an O_TMPFILE file without CAP_DAC_READ_SEARCH. The directory fd
        # makes os.link call linkat (without one, CPython calls link(), which links
        # the /proc symlink itself and fails with EXDEV).
        proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        try:
            while True:
                tmp = _temp_name(self.directory, self.base)
                try:
                    os.link(str(fd), tmp, src_dir_fd=proc, follow_symlinks=True)
                except FileExistsError:
                    continue
                self.tmp = tmp
                return
        finally:
            os.close(proc)
