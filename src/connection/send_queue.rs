//! The send queue of one TCP socket, from the kernel's tables `/proc/net/tcp` and
//! `/proc/net/tcp6`: for a connected socket, `tx_queue` is every byte written and not yet
//! acknowledged by the peer (sent or not). A socket is found by its inode.

/// The tables cannot be read here (not Linux).
#[derive(Debug, PartialEq, Eq)]
pub struct Unreadable;

const TABLES: [&str; 2] = ["/proc/net/tcp", "/proc/net/tcp6"];

/// The bytes the peer has not acknowledged on socket `inode`; `None` when the socket is in
/// neither table (closed by a reset or a timeout).
pub async fn unacknowledged(inode: u64) -> Result<Option<u64>, Unreadable> {
    let mut read_any = false;
    for table in TABLES {
        let Ok(text) = tokio::fs::read_to_string(table).await else {
            continue;
        };
        read_any = true;
        if let Some(queued) = queued_in(&text, inode) {
            return Ok(Some(queued));
        }
    }
    if read_any { Ok(None) } else { Err(Unreadable) }
}

/// The `tx_queue` of the row of `inode` in one table's text.
fn queued_in(table: &str, inode: u64) -> Option<u64> {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    table.lines().skip(1).find_map(|row| {
        let fields: Vec<&str> = row.split_whitespace().collect();
        let row_inode: u64 = fields.get(9)?.parse().ok()?;
        if row_inode != inode {
            return None;
        }
        let (tx, _rx) = fields.get(4)?.split_once(':')?;
        u64::from_str_radix(tx, 16).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D2A4 01 00003A98:00000000 01:00000014 00000000     0        0 41877 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:D2B0 08 00000000:00000000 00:00000000 00000000     0        0 41880 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F90 0100007F:D2C2 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
";

    #[test]
    fn a_sockets_unacknowledged_bytes_are_read_by_its_inode() {
        assert_eq!(queued_in(TABLE, 41877), Some(0x3A98));
        assert_eq!(queued_in(TABLE, 41880), Some(0));
    }

    #[test]
    fn a_socket_not_in_the_table_is_gone() {
        assert_eq!(queued_in(TABLE, 99999), None);
        // A TIME_WAIT row has inode 0 and is nobody's socket.
        assert_eq!(queued_in(TABLE, 1), None);
        assert_eq!(queued_in("", 41877), None);
        assert_eq!(queued_in("header\n garbage row", 41877), None);
    }

    #[tokio::test]
    async fn a_live_connection_is_found_and_a_closed_one_is_not() {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut byte = [0_u8; 1];
            let _ = stream.read(&mut byte).await;
        });
        let (server, _) = listener.accept().await.unwrap();
        let inode = std::fs::File::from(server.as_fd().try_clone_to_owned().unwrap())
            .metadata()
            .unwrap()
            .ino();
        assert_eq!(unacknowledged(inode).await, Ok(Some(0)));
        drop(server);
        client.await.unwrap();
        assert_eq!(unacknowledged(inode).await, Ok(None));
    }
}
