//! The server on a thread of its own, for callers without a tokio runtime (or that control it
//! from synchronous code): every method blocks until the server thread has done it, and works
//! from inside an async context too (the server does not run on the caller's runtime).

use std::io;
use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::net::{Builder, Server};

/// What the caller asks of the server thread; each carries where the answer goes.
enum Command {
    Expire(i64, std_mpsc::Sender<bool>),
    CloseConnections(std_mpsc::Sender<()>),
    Stop(std_mpsc::Sender<()>),
    Restart(std_mpsc::Sender<io::Result<()>>),
}

/// An embedded server running on a thread of its own ([`Builder::start_blocking`]).
/// Dropping it shuts the server down and joins the thread.
#[derive(Debug)]
pub struct BlockingServer {
    addr: SocketAddr,
    commands: Option<mpsc::UnboundedSender<Command>>,
    thread: Option<JoinHandle<()>>,
}

impl BlockingServer {
    pub(crate) fn start(builder: Builder) -> io::Result<BlockingServer> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("zk-server".into())
            .spawn(move || runtime.block_on(run(builder, ready_tx, rx)))?;
        match ready_rx.recv() {
            Ok(Ok(addr)) => Ok(BlockingServer {
                addr,
                commands: Some(tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(io::Error::other(
                "the server thread ended before it started",
            )),
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `host:port`, for a client's connect string.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    fn ask<T>(&self, command: impl FnOnce(std_mpsc::Sender<T>) -> Command) -> Option<T> {
        let (tx, rx) = std_mpsc::channel();
        self.commands.as_ref()?.send(command(tx)).ok()?;
        rx.recv().ok()
    }

    /// [`Server::expire_session`].
    pub fn expire_session(&self, id: i64) -> bool {
        self.ask(|tx| Command::Expire(id, tx)).unwrap_or(false)
    }

    /// [`Server::close_connections`].
    pub fn close_connections(&self) {
        self.ask(Command::CloseConnections);
    }

    /// [`Server::stop`]: returns once the port is free.
    pub fn stop(&self) {
        self.ask(Command::Stop);
    }

    /// [`Server::restart`].
    pub fn restart(&self) -> io::Result<()> {
        self.ask(Command::Restart)
            .unwrap_or_else(|| Err(io::Error::other("the server thread has ended")))
    }

    /// Stops for good and joins the thread (as dropping it does).
    pub fn shutdown(mut self) {
        self.end();
    }

    fn end(&mut self) {
        // Closing the command channel ends the thread's loop, which shuts the server down.
        self.commands = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for BlockingServer {
    fn drop(&mut self) {
        self.end();
    }
}

async fn run(
    builder: Builder,
    ready: std_mpsc::Sender<io::Result<SocketAddr>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut server: Server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(server.addr())).is_err() {
        return;
    }
    while let Some(command) = commands.recv().await {
        match command {
            Command::Expire(id, tx) => {
                let _ = tx.send(server.expire_session(id));
            }
            Command::CloseConnections(tx) => {
                server.close_connections();
                let _ = tx.send(());
            }
            Command::Stop(tx) => {
                server.stop().await;
                let _ = tx.send(());
            }
            Command::Restart(tx) => {
                let _ = tx.send(server.restart().await);
            }
        }
    }
    server.shutdown().await;
}
