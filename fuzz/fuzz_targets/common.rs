//! Shared by the message targets: the first two bytes of the input choose
//! the API (an index into the table) and the version (within its range), so
//! that every byte after them is body, and the fuzzer reaches every API and
//! version from the same corpus.

use ferrokafka_protocol::SUPPORTED_APIS;

/// Splits an input into (api key, version, body).
pub fn split(data: &[u8]) -> Option<(i16, i16, &[u8])> {
    let (&pick, rest) = data.split_first()?;
    let (&ver, body) = rest.split_first()?;
    let api = &SUPPORTED_APIS[pick as usize % SUPPORTED_APIS.len()];
    let span = (api.max_version - api.min_version + 1) as u8;
    let version = api.min_version + (ver % span) as i16;
    Some((api.api_key as i16, version, body))
}
