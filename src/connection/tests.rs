use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::*;

/// A connection as Kho serves it, and the client's end with a receive buffer of `receive`.
async fn connection(receive: u32) -> (Watched, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(receive).unwrap();
    let (client, accepted) = tokio::join!(
        socket.connect(listener.local_addr().unwrap()),
        listener.accept()
    );
    (Watched::new(accepted.unwrap().0), client.unwrap())
}

/// Hands `len` bytes to the connection as hyper does a response's last chunk: the ending
/// first, then the write and the flush.
async fn respond(server: &mut Watched, len: usize) -> Ending {
    let ending = server.delivery().ending();
    server.write_all(&vec![7_u8; len]).await.unwrap();
    server.flush().await.unwrap();
    ending
}

const WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn bytes_the_peer_read_are_acknowledged() {
    let (mut server, mut client) = connection(64 * 1024).await;
    let ending = respond(&mut server, 16 * 1024).await;
    let mut received = vec![0_u8; 16 * 1024];
    client.read_exact(&mut received).await.unwrap();
    assert_eq!(ending.outcome(WITHIN).await, Outcome::Acknowledged);
}

#[tokio::test]
async fn bytes_left_queued_when_the_peer_resets_are_lost() {
    let (mut server, client) = connection(2048).await;
    let ending = respond(&mut server, 16 * 1024).await;
    // The server closes its side; the deferred shutdown keeps the socket for the ending.
    server.shutdown().await.unwrap();
    drop(server);
    tokio::time::sleep(Duration::from_millis(100)).await;
    client.set_zero_linger().unwrap();
    drop(client);
    assert_eq!(ending.outcome(WITHIN).await, Outcome::Lost);
}

#[tokio::test]
async fn a_closed_connection_given_up_on_is_reset_and_its_bytes_lost() {
    let (mut server, mut client) = connection(2048).await;
    let ending = respond(&mut server, 16 * 1024).await;
    drop(server);
    assert_eq!(
        ending.outcome(Duration::from_millis(300)).await,
        Outcome::Lost
    );
    // The client reads what reached it and then the reset, never the whole.
    let mut received = Vec::new();
    let read = client.read_to_end(&mut received).await;
    assert!(read.is_err(), "reset, after {} bytes", received.len());
    assert!(received.len() < 16 * 1024);
}

#[tokio::test]
async fn a_stalled_peer_on_an_open_connection_leaves_it_unacknowledged() {
    let (mut server, _client) = connection(2048).await;
    let ending = respond(&mut server, 16 * 1024).await;
    assert_eq!(
        ending.outcome(Duration::from_millis(300)).await,
        Outcome::Unacknowledged
    );
}

#[tokio::test]
async fn a_connection_dropped_before_its_last_flush_is_lost() {
    let (server, _client) = connection(64 * 1024).await;
    let ending = server.delivery().ending();
    drop(server);
    assert_eq!(ending.outcome(WITHIN).await, Outcome::Lost);
}
