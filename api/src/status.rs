//! The outcome of a span.

use crate::StringValue;

/// A span's status. `Ok` is final: once set, nothing overrides it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Status {
    /// Nothing was said (the default).
    #[default]
    Unset,
    /// The operation completed successfully, as the application says.
    Ok,
    /// The operation failed.
    Error {
        /// What went wrong.
        description: StringValue,
    },
}

impl Status {
    /// An error status with a description.
    pub fn error(description: impl Into<StringValue>) -> Status {
        Status::Error {
            description: description.into(),
        }
    }

    /// Applies the spec's precedence: setting `Unset` does nothing, and once
    /// `Ok` is set neither `Error` nor `Unset` replaces it. Returns whether
    /// the status changed.
    pub fn update(&mut self, new: Status) -> bool {
        match (&*self, &new) {
            (_, Status::Unset) | (Status::Ok, _) => false,
            _ => {
                *self = new;
                true
            }
        }
    }

    /// Whether this is an error status.
    pub fn is_error(&self) -> bool {
        matches!(self, Status::Error { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_is_final_and_a_later_error_does_not_override_it() {
        let mut status = Status::Unset;
        assert!(status.update(Status::Ok));
        assert!(!status.update(Status::error("late")));
        assert_eq!(status, Status::Ok);
    }

    #[test]
    fn setting_unset_is_ignored() {
        let mut status = Status::error("boom");
        assert!(!status.update(Status::Unset));
        assert!(status.is_error());
    }

    #[test]
    fn a_later_error_replaces_an_earlier_one() {
        let mut status = Status::error("first");
        assert!(status.update(Status::error("second")));
        assert_eq!(status, Status::error("second"));
    }
}
