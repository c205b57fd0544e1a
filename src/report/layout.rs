//! How the human-readable reports are laid out: decided once by the command line,
//! read by the printers (the only place of layout is `report`).

use crate::rules::Severity;

/// How wide a table may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// The terminal's width: the report goes to one.
    Terminal,
    /// This many columns.
    Columns(u16),
    /// No limit: a pipe, a file or a CI log, where a wrapped line would break a path
    /// in the middle.
    Unlimited,
}

/// The scan table's layout.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Severities in colour (a terminal, and NO_COLOR unset).
    pub color: bool,
    pub width: Width,
    /// `--verbose`: every file and every finding, no list folded or cut short.
    pub verbose: bool,
    /// `--show-waived`: also list the findings waivers silenced, with their reasons.
    pub show_waived: bool,
    /// The severity from which the run fails (`--fail-on`); None: it never fails.
    pub fail_at: Option<Severity>,
}

impl Default for Layout {
    /// A pipe: no colour, no width limit, lists shortened, failing on errors.
    fn default() -> Self {
        Layout {
            color: false,
            width: Width::Unlimited,
            verbose: false,
            show_waived: false,
            fail_at: Some(Severity::Error),
        }
    }
}
