//! What a request carries that patterns route, hash and bill on: its city, payment method, API
//! version and user. Drawn once at the root from the workload's own stream, inherited by every
//! call the request causes.

/// Request attributes that routing patterns read. `u16::MAX` / 0 = not drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestAttributes {
    pub city: u16,
    pub payment_method: u16,
    pub api_version: u16,
    pub user_id: u32,
}

impl RequestAttributes {
    pub const NONE: RequestAttributes = RequestAttributes {
        city: u16::MAX,
        payment_method: u16::MAX,
        api_version: u16::MAX,
        user_id: 0,
    };
}
