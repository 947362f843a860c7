//! Unicode's confusables, for pages that compare names (`app::confusables`): made from the
//! `unicode-security` crate the first time a page asks, then kept, as it is and compressed with
//! brotli at its best (69 KB as it is, 24 KB so; the compression layer's quick brotli leaves
//! 39 KB). Its path names the Unicode version, so browsers keep it for good.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::OnceCell;

/// The table, as it is and in brotli.
struct Table {
    plain: Bytes,
    brotli: Bytes,
}

static TABLE: OnceCell<Table> = OnceCell::const_new();

impl Table {
    fn make() -> std::io::Result<Table> {
        let plain = app::confusables::table_text().into_bytes();
        let mut brotli = Vec::new();
        let params =
            brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
        brotli::BrotliCompress(&mut plain.as_slice(), &mut brotli, &params)?;
        Ok(Table { plain: plain.into(), brotli: brotli.into() })
    }
}

/// `GET` [`app::confusables::PATH`].
pub async fn confusables(request: HeaderMap) -> Response {
    let table = TABLE
        .get_or_try_init(|| async {
            // A second's work in a debug build: off the runtime's threads.
            tokio::task::spawn_blocking(Table::make).await.map_err(std::io::Error::other)?
        })
        .await;
    let table = match table {
        Ok(table) => table,
        Err(error) => {
            tracing::error!(%error, "making the confusables table failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if accepts_brotli(&request) {
        // The compression layer leaves a response that has an encoding as it is.
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        (headers, table.brotli.clone()).into_response()
    } else {
        (headers, table.plain.clone()).into_response()
    }
}

/// Whether the request's `Accept-Encoding` lists `br` (and not with `q=0`).
fn accepts_brotli(request: &HeaderMap) -> bool {
    request.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts.next() == Some("br") && parts.all(|p| p.replace(' ', "") != "q=0")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("")),
        );
        accepts_brotli(&headers)
    }

    #[test]
    fn brotli_is_sent_to_whoever_lists_it() {
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=0.5"));
        assert!(!accepts("gzip"));
        assert!(!accepts("br;q=0"));
        assert!(!accepts(""));
        assert!(!accepts_brotli(&HeaderMap::new()));
    }
}
