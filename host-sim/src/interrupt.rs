//! Ctrl-C while host-sim waits for a verdict: SIGINT becomes a message to the waiting loop, which
//! then stops waiting and says so, instead of the process dying mid-line. Only the wait stops:
//! nothing is sent to Plaid, so the session goes on there.
//!
//! A signal handler may do almost nothing: this one writes a byte to a pipe (`write` is
//! async-signal-safe), and a thread reading the pipe sends the message.

use std::{
    io::Read as _,
    os::fd::FromRawFd as _,
    sync::{
        atomic::{AtomicI32, Ordering},
        mpsc::Sender,
    },
};

use crate::error::Failure;

/// The pipe's write end, for the handler; -1 until installed.
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_: libc::c_int) {
    let fd = WRITE_END.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe; the fd stays open for the process's life, and a
        // full pipe (Ctrl-C pressed thousands of times) only loses presses already counted.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }
}

/// From now on, each SIGINT sends `message()` on `to` (once installed, for the process's life).
pub fn on_sigint<T: Send + 'static>(to: Sender<T>, message: fn() -> T) -> Result<(), Failure> {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(Failure::error(format!("cannot watch for Ctrl-C: {}", std::io::Error::last_os_error())));
    }
    let [read_end, write_end] = fds;
    // The reading end blocks: only the handler's end must never block.
    // SAFETY: `read_end` is the descriptor `pipe2` just opened.
    unsafe {
        libc::fcntl(read_end, libc::F_SETFL, 0);
    }
    WRITE_END.store(write_end, Ordering::Relaxed);
    // SAFETY: `read_end` is open and owned by nothing else; the File takes it over.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(read_end) };
    std::thread::Builder::new()
        .name("host-sim-sigint".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            while matches!(pipe.read(&mut byte), Ok(1)) {
                if to.send(message()).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| Failure::error(format!("cannot watch for Ctrl-C: {e}")))?;
    // SAFETY: the handler only loads an atomic and calls `write`; `sigaction` is given a zeroed,
    // then filled, struct that lives across the call.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut())
    };
    if installed != 0 {
        return Err(Failure::error(format!("cannot watch for Ctrl-C: {}", std::io::Error::last_os_error())));
    }
    Ok(())
}
