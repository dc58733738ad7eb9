//! SCRAM credentials (describe, upsert, delete) and client quotas
//! (describe with filters, alter).

use std::collections::BTreeMap;

use bytes::Bytes;
use ferrokafka_protocol::messages::alter_client_quotas::{
    OpData, RequestEntityData, RequestEntryData,
};
use ferrokafka_protocol::messages::alter_user_scram_credentials::{
    ScramCredentialDeletion, ScramCredentialUpsertion,
};
use ferrokafka_protocol::messages::describe_client_quotas::ComponentData;
use ferrokafka_protocol::messages::describe_user_scram_credentials::UserName;
use ferrokafka_protocol::messages::{
    AlterClientQuotasRequest, AlterUserScramCredentialsRequest, DescribeClientQuotasRequest,
    DescribeUserScramCredentialsRequest,
};
use ferrokafka_protocol::ErrorCode;

pub use crate::net::sasl::scram::ScramMechanism;

use super::topics::not_answered;
use super::{check, Admin, Outcome};
use crate::error::{Error, Result};

fn mechanism_code(m: ScramMechanism) -> i8 {
    match m {
        ScramMechanism::Sha256 => 1,
        ScramMechanism::Sha512 => 2,
    }
}

/// One SCRAM credential of a user: its mechanism and iteration count
/// (Kafka never tells the salt or the salted password).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScramCredentialInfo {
    /// The mechanism, `None` for one this client does not know.
    pub mechanism: Option<ScramMechanism>,
    /// The PBKDF2 iterations.
    pub iterations: i32,
}

/// A user's SCRAM credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserScramCredentials {
    /// The credentials, one per mechanism.
    pub credentials: Vec<ScramCredentialInfo>,
}

/// A client-quota entity: each `(type, name)` part (`user`, `client-id`,
/// `ip`); a `None` name is that type's default entity.
pub type QuotaEntity = Vec<(String, Option<String>)>;

/// One part of a client-quota filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaEntityFilter {
    /// Entities of this type with exactly this name.
    Exact(String, String),
    /// The default entity of this type.
    Default(String),
    /// Any entity of this type with a name.
    Any(String),
}

/// A change to one entity's quotas: `(key, Some(value))` sets,
/// `(key, None)` removes.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaAlteration {
    /// The entity.
    pub entity: QuotaEntity,
    /// The changes (`producer_byte_rate`, `consumer_byte_rate`,
    /// `request_percentage`, ...).
    pub ops: Vec<(String, Option<f64>)>,
}

impl Admin {
    /// The SCRAM credentials of `users` (every user with one when
    /// empty). One outcome per user; a user without credentials is
    /// RESOURCE_NOT_FOUND.
    pub async fn describe_user_scram_credentials<S: AsRef<str>>(
        &self,
        users: &[S],
    ) -> Result<Vec<Outcome<String, UserScramCredentials>>> {
        let request = DescribeUserScramCredentialsRequest {
            users: (!users.is_empty()).then(|| {
                users
                    .iter()
                    .map(|u| UserName {
                        name: u.as_ref().to_owned(),
                        ..Default::default()
                    })
                    .collect()
            }),
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        check(
            response.error_code,
            response.error_message.as_deref(),
            || "DescribeUserScramCredentials".into(),
        )?;
        Ok(response
            .results
            .into_iter()
            .map(|r| {
                let user = r.user.clone();
                let result = check(r.error_code, r.error_message.as_deref(), || {
                    format!("DescribeUserScramCredentials {user}")
                })
                .map(|()| UserScramCredentials {
                    credentials: r
                        .credential_infos
                        .iter()
                        .map(|c| ScramCredentialInfo {
                            mechanism: match c.mechanism {
                                1 => Some(ScramMechanism::Sha256),
                                2 => Some(ScramMechanism::Sha512),
                                _ => None,
                            },
                            iterations: c.iterations,
                        })
                        .collect(),
                });
                Outcome {
                    resource: r.user,
                    result,
                }
            })
            .collect())
    }

    /// Sets `user`'s `mechanism` credential to `password` (salted here
    /// with a fresh random salt, `iterations` PBKDF2 rounds: 4096 to
    /// 16384), or with `password` `None` deletes it.
    pub async fn alter_user_scram_credential(
        &self,
        user: &str,
        mechanism: ScramMechanism,
        password: Option<&str>,
        iterations: i32,
    ) -> Result<()> {
        let mut request = AlterUserScramCredentialsRequest::default();
        match password {
            None => request.deletions.push(ScramCredentialDeletion {
                name: user.to_owned(),
                mechanism: mechanism_code(mechanism),
                ..Default::default()
            }),
            Some(password) => {
                let rounds = u32::try_from(iterations)
                    .ok()
                    .filter(|i| (4096..=16384).contains(i))
                    .ok_or_else(|| {
                        Error::kafka(
                            format!("AlterUserScramCredentials {user}: {iterations} iterations (4096 to 16384)"),
                            ErrorCode::UnacceptableCredential.code(),
                        )
                    })?;
                let mut salt = [0u8; 32];
                getrandom::fill(&mut salt).map_err(|e| {
                    Error::kafka(
                        format!("AlterUserScramCredentials {user}: no random salt: {e}"),
                        ErrorCode::UnknownServerError.code(),
                    )
                })?;
                let salted = mechanism.salted_password(password.as_bytes(), &salt, rounds);
                request.upsertions.push(ScramCredentialUpsertion {
                    name: user.to_owned(),
                    mechanism: mechanism_code(mechanism),
                    iterations,
                    salt: Bytes::copy_from_slice(&salt),
                    salted_password: Bytes::from(salted),
                    ..Default::default()
                });
            }
        }
        let response = self.send_to_controller(&request).await?;
        let r = response
            .results
            .iter()
            .find(|r| r.user == user)
            .ok_or_else(|| not_answered("AlterUserScramCredentials", user))?;
        check(r.error_code, r.error_message.as_deref(), || {
            format!("AlterUserScramCredentials {user}")
        })
    }

    /// The quotas of the entities `filter` matches (`strict`: entities
    /// with no other parts than those filtered). Keyed by entity (its
    /// parts sorted by type), each with its quotas by key.
    pub async fn describe_client_quotas(
        &self,
        filter: &[QuotaEntityFilter],
        strict: bool,
    ) -> Result<Vec<(QuotaEntity, BTreeMap<String, f64>)>> {
        let request = DescribeClientQuotasRequest {
            components: filter
                .iter()
                .map(|f| match f {
                    QuotaEntityFilter::Exact(t, n) => ComponentData {
                        entity_type: t.clone(),
                        match_type: 0,
                        r#match: Some(n.clone()),
                        ..Default::default()
                    },
                    QuotaEntityFilter::Default(t) => ComponentData {
                        entity_type: t.clone(),
                        match_type: 1,
                        r#match: None,
                        ..Default::default()
                    },
                    QuotaEntityFilter::Any(t) => ComponentData {
                        entity_type: t.clone(),
                        match_type: 2,
                        r#match: None,
                        ..Default::default()
                    },
                })
                .collect(),
            strict,
            ..Default::default()
        };
        let response = self.cluster.send_to_any(&request).await?;
        check(
            response.error_code,
            response.error_message.as_deref(),
            || "DescribeClientQuotas".into(),
        )?;
        let mut out: Vec<(QuotaEntity, BTreeMap<String, f64>)> = response
            .entries
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let mut entity: QuotaEntity = e
                    .entity
                    .into_iter()
                    .map(|p| (p.entity_type, p.entity_name))
                    .collect();
                entity.sort();
                (
                    entity,
                    e.values.into_iter().map(|v| (v.key, v.value)).collect(),
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Applies quota changes (or, with `validate_only`, only asks whether
    /// the broker would); one outcome per entity, in order.
    pub async fn alter_client_quotas(
        &self,
        changes: &[QuotaAlteration],
        validate_only: bool,
    ) -> Result<Vec<Outcome<QuotaEntity>>> {
        let request = AlterClientQuotasRequest {
            entries: changes
                .iter()
                .map(|c| RequestEntryData {
                    entity: c
                        .entity
                        .iter()
                        .map(|(t, n)| RequestEntityData {
                            entity_type: t.clone(),
                            entity_name: n.clone(),
                            ..Default::default()
                        })
                        .collect(),
                    ops: c
                        .ops
                        .iter()
                        .map(|(k, v)| OpData {
                            key: k.clone(),
                            value: v.unwrap_or(0.0),
                            remove: v.is_none(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            validate_only,
            ..Default::default()
        };
        let response = self.send_to_controller(&request).await?;
        Ok(changes
            .iter()
            .map(|c| {
                let mut want = c.entity.clone();
                want.sort();
                let answer = response.entries.iter().find(|e| {
                    let mut got: QuotaEntity = e
                        .entity
                        .iter()
                        .map(|p| (p.entity_type.clone(), p.entity_name.clone()))
                        .collect();
                    got.sort();
                    got == want
                });
                let result = match answer {
                    None => Err(not_answered(
                        "AlterClientQuotas",
                        &format!("{:?}", c.entity),
                    )),
                    Some(e) => check(e.error_code, e.error_message.as_deref(), || {
                        format!("AlterClientQuotas {:?}", c.entity)
                    }),
                };
                Outcome {
                    resource: c.entity.clone(),
                    result,
                }
            })
            .collect())
    }
}
