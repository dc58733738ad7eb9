//! DescribeUserScramCredentials (key 50).

kafka_message! {
    /// The DescribeUserScramCredentials request (key 50).
    pub struct DescribeUserScramCredentialsRequest: DescribeUserScramCredentials, versions 0 to 0, flexible 0, response DescribeUserScramCredentialsResponse {
        /// The users to describe, or null/empty to describe all users.
        users: Option<Vec<UserName>> [0, nullable 0] = Some(Vec::new()),
    }
}

kafka_struct! {
    /// The users to describe, or null/empty to describe all users.
    pub struct UserName {
        /// The user name.
        name: String [0],
    }
}

kafka_message! {
    /// The DescribeUserScramCredentials response (key 50).
    pub struct DescribeUserScramCredentialsResponse: DescribeUserScramCredentials, versions 0 to 0, flexible 0 {
        /// The duration in milliseconds for which the request was throttled due to a quota violation, or zero if the request did not violate any quota.
        throttle_time_ms: i32 [0],
        /// The message-level error code, 0 except for user authorization or infrastructure issues.
        error_code: i16 [0],
        /// The message-level error message, if any.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The results for descriptions, one per user.
        results: Vec<DescribeUserScramCredentialsResult> [0],
    }
}

kafka_struct! {
    /// The results for descriptions, one per user.
    pub struct DescribeUserScramCredentialsResult {
        /// The user name.
        user: String [0],
        /// The user-level error code.
        error_code: i16 [0],
        /// The user-level error message, if any.
        error_message: Option<String> [0, nullable 0] = Some(String::new()),
        /// The mechanism and related information associated with the user's SCRAM credentials.
        credential_infos: Vec<CredentialInfo> [0],
    }
}

kafka_struct! {
    /// The mechanism and related information associated with the user's SCRAM credentials.
    pub struct CredentialInfo {
        /// The SCRAM mechanism.
        mechanism: i8 [0],
        /// The number of iterations used in the SCRAM credential.
        iterations: i32 [0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::test_util::check_every_version;

    fn filled_describe_user_scram_credentials_request() -> DescribeUserScramCredentialsRequest {
        DescribeUserScramCredentialsRequest {
            users: Some(vec![filled_user_name()]),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_user_name() -> UserName {
        UserName {
            name: "s4".into(),
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_user_scram_credentials_response() -> DescribeUserScramCredentialsResponse {
        DescribeUserScramCredentialsResponse {
            throttle_time_ms: 6,
            error_code: 7,
            error_message: Some("s8".into()),
            results: vec![filled_describe_user_scram_credentials_result()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_describe_user_scram_credentials_result() -> DescribeUserScramCredentialsResult {
        DescribeUserScramCredentialsResult {
            user: "s11".into(),
            error_code: 13,
            error_message: Some("s14".into()),
            credential_infos: vec![filled_credential_info()],
            unknown_tagged_fields: Vec::new(),
        }
    }

    fn filled_credential_info() -> CredentialInfo {
        CredentialInfo {
            mechanism: 18,
            iterations: 19,
            unknown_tagged_fields: Vec::new(),
        }
    }

    #[test]
    fn every_version_roundtrips() {
        check_every_version(|_| filled_describe_user_scram_credentials_request());
        check_every_version(|_| filled_describe_user_scram_credentials_response());
    }
}
