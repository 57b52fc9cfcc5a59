//! A scenario's resilience protections as a whole: whether it has any, and the same scenario
//! without them (the "protections off" side of a comparison).

use super::EdgePolicy;
use crate::engine::core::ids::EdgeId;
use crate::engine::scenario::model::Scenario;
use crate::engine::scenario::registry::{PatternId, PatternMask};

impl Scenario {
    /// The policies configured on `edge` (plain when none).
    pub fn edge_policy(&self, edge: EdgeId) -> &EdgePolicy {
        &self.patterns.resilience.policies[edge.index()]
    }

    /// True when any edge or service has a protection configured.
    pub fn has_protections(&self) -> bool {
        let spec = &self.patterns.resilience;
        spec.policies.iter().any(|policy| !policy.is_plain())
            || spec.server_limits.iter().any(Option::is_some)
    }

    /// The same scenario with every protection removed.
    pub fn without_protections(&self) -> Scenario {
        let mut stripped = self.clone();
        let spec = &mut stripped.patterns.resilience;
        for policy in &mut spec.policies {
            *policy = policy.stripped();
        }
        for limit in &mut spec.server_limits {
            *limit = None;
        }
        for edge in &mut stripped.edges {
            if edge.guard == Some(PatternId::Resilience) {
                edge.guard = None;
            }
        }
        for endpoint in &mut stripped.endpoints {
            endpoint.arrival = endpoint
                .arrival
                .iter()
                .filter(|&pattern| pattern != PatternId::Resilience)
                .fold(PatternMask::EMPTY, PatternMask::with);
        }
        stripped
    }
}
