//! How a pattern's folder owns its part of a scenario file.
//!
//! Each pattern's `model` implements `Section` on its validated spec: it reads its own keys (top
//! level tables like `[[policies]]`, and fields inside services and endpoints like `rate_limit`
//! or `observes_saga`) with the same `Fields` kit as the rest of the file, then validates them
//! against the core model once names resolve, reporting problems with paths and hints, and claims
//! the seams it needs by tagging edges and endpoints. The dispatch below is written by
//! `for_each_pattern!`: adding a pattern adds no line here.

use super::model::{Edge, Endpoint, Service, Station, Workload};
use super::problems::Problems;
use super::read::Fields;
use super::registry::PatternSpecs;
use serde::Serialize;
use std::fmt::Debug;

/// What validation has resolved when the patterns' sections are checked, and the seams they
/// claim: a pattern sets `Edge::guard`, `Endpoint::handler` and `Endpoint::arrival`.
pub struct CoreModel<'a> {
    pub stations: &'a [Station],
    pub services: &'a [Service],
    pub endpoints: &'a mut [Endpoint],
    pub edges: &'a mut [Edge],
    /// The workload, if it validated (its attributes name cities and payment methods).
    pub workload: Option<&'a Workload>,
}

/// A pattern's scenario section: raw → validated spec.
pub trait Section: Sized + Clone + Debug + Serialize {
    /// What the reader collects before validation.
    type Raw: Default + Clone + Debug;

    /// Reads the pattern's top-level keys (`[[policies]]`, `[[sagas]]`).
    fn read_top(_raw: &mut Self::Raw, _top: &mut Fields<'_>, _problems: &mut Problems) {}

    /// Reads the pattern's keys inside `[[services]]` table number `service`.
    fn read_service(
        _raw: &mut Self::Raw,
        _service: usize,
        _fields: &mut Fields<'_>,
        _problems: &mut Problems,
    ) {
    }

    /// Reads the pattern's keys inside endpoint number `endpoint` (counted across services, so
    /// it is the endpoint's id once validated).
    fn read_endpoint(
        _raw: &mut Self::Raw,
        _endpoint: usize,
        _fields: &mut Fields<'_>,
        _problems: &mut Problems,
    ) {
    }

    /// Validates what was read against the core model, tagging the seams the pattern needs.
    fn validate(raw: &Self::Raw, core: &mut CoreModel<'_>, problems: &mut Problems) -> Self;
}

macro_rules! declare_sections {
    ($($module:ident: $Name:ident),* $(,)?) => {
        /// Each pattern's raw section, as read.
        #[derive(Clone, Debug, Default)]
        pub struct RawSections {
            $(pub $module: <crate::engine::patterns::$module::model::Spec as Section>::Raw),*
        }

        pub(super) fn read_top_sections(
            raw: &mut RawSections,
            top: &mut Fields<'_>,
            problems: &mut Problems,
        ) {
            $(<crate::engine::patterns::$module::model::Spec as Section>::read_top(
                &mut raw.$module, top, problems,
            );)*
        }

        pub(super) fn read_service_sections(
            raw: &mut RawSections,
            service: usize,
            fields: &mut Fields<'_>,
            problems: &mut Problems,
        ) {
            $(<crate::engine::patterns::$module::model::Spec as Section>::read_service(
                &mut raw.$module, service, fields, problems,
            );)*
        }

        pub(super) fn read_endpoint_sections(
            raw: &mut RawSections,
            endpoint: usize,
            fields: &mut Fields<'_>,
            problems: &mut Problems,
        ) {
            $(<crate::engine::patterns::$module::model::Spec as Section>::read_endpoint(
                &mut raw.$module, endpoint, fields, problems,
            );)*
        }

        /// Every pattern's section validated, in registry order.
        pub(super) fn validate_sections(
            raw: &RawSections,
            core: &mut CoreModel<'_>,
            problems: &mut Problems,
        ) -> PatternSpecs {
            PatternSpecs {
                $($module: <crate::engine::patterns::$module::model::Spec as Section>::validate(
                    &raw.$module, core, problems,
                )),*
            }
        }
    };
}

crate::for_each_pattern!(declare_sections);
