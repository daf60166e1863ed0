//! Counting a section a window of tokens at a time: how far a round may
//! count ([`lookahead`], [`unit_start`]), hyphen chains capped so that a
//! compound is never cut ([`cap_compounds`]), and the KWIC places that wait
//! for their right context ([`KwicPlaces`]).

use super::{KwicSpan, MAX_COMPOUND_PARTS};
use crate::analyze::Hyphens;
use crate::theme::{Match, Matcher};
use crate::token::Token;

/// How many tokens past a candidate's first token can decide whether the
/// candidate is accepted. It depends on overlapping candidates that come
/// before it (longer ones; of its own length, those to its left), and
/// those that reach further right are strictly longer, each reaching at
/// most its length - 1 past the one before: so the sum of (span - 1) over
/// the spans a candidate can have (its pattern's words; a compound's parts
/// unless `--hyphens split`, at most [`MAX_COMPOUND_PARTS`]).
pub(super) fn lookahead(matcher: &Matcher, hyphens: Hyphens) -> usize {
    let mut spans: Vec<usize> = matcher.pattern_lengths().collect();
    if hyphens != Hyphens::Split {
        spans.extend(2..=MAX_COMPOUND_PARTS);
    }
    spans.sort_unstable();
    spans.dedup();
    // The chain of strictly longer candidates, plus one exclusion match
    // (of any length) at its end that can still decide the last of them.
    let longest = spans.last().copied().unwrap_or(0);
    spans.iter().map(|s| s.saturating_sub(1)).sum::<usize>() + longest
}

/// The first token of the unit that holds token `k` (the last token at or
/// before it that is not hyphen-joined), but not before `from`.
pub(super) fn unit_start(tokens: &[Token], k: usize, from: usize) -> usize {
    let mut k = k.max(from);
    while k > from && tokens[k].hyphen_joined {
        k -= 1;
    }
    k
}

/// Caps hyphen chains at [`MAX_COMPOUND_PARTS`] parts, from token `new` on:
/// no token of a longer chain stays joined. `parts` counts the parts of the
/// chain that ends the buffer, whose tokens are all still there (the last
/// chain of the buffer is counted in a later round).
pub(super) fn cap_compounds(tokens: &mut [Token], new: usize, parts: &mut usize) {
    for k in new..tokens.len() {
        *parts = if tokens[k].hyphen_joined {
            *parts + 1
        } else {
            1
        };
        if *parts == MAX_COMPOUND_PARTS + 1 {
            let chain = &mut tokens[k + 1 - MAX_COMPOUND_PARTS - 1..=k];
            chain.iter_mut().for_each(|t| t.hyphen_joined = false);
        } else if *parts > MAX_COMPOUND_PARTS + 1 {
            tokens[k].hyphen_joined = false;
        }
    }
}

/// The KWIC places of one section's matches, each waiting until the
/// buffer holds the last token of its right context.
pub(super) struct KwicPlaces {
    window: Option<usize>,
    /// A place and the buffer index of its right context's last token.
    waiting: Vec<(KwicSpan, usize)>,
}

impl KwicPlaces {
    pub(super) fn new(window: Option<usize>) -> KwicPlaces {
        KwicPlaces {
            window,
            waiting: Vec::new(),
        }
    }

    /// Adds the places of `matches` (indices into the buffer `tokens`,
    /// which holds `window` tokens before them, or the section's start),
    /// and moves to `out` those whose context the buffer holds (all, in a
    /// section's last round).
    pub(super) fn add(
        &mut self,
        tokens: &[Token],
        matches: &[Match],
        section_id: u32,
        last_round: bool,
        out: &mut Vec<KwicSpan>,
    ) {
        let Some(window) = self.window else {
            return;
        };
        // Only counted matches: an exclusion match is evidence in
        // theme_matches.csv, not a row in context.
        for m in matches.iter().filter(|m| !m.excluded) {
            let (start, end) = (tokens[m.first].start, tokens[m.last].end);
            let left = match window {
                0 => start,
                _ => tokens[m.first.saturating_sub(window)].start,
            };
            let span = KwicSpan {
                start,
                theme: m.theme,
                end,
                section_id,
                left,
                right: end,
            };
            self.waiting.push((span, m.last.saturating_add(window)));
        }
        let n = tokens.len();
        self.waiting.retain(|&(mut span, k)| {
            if k < n || last_round {
                if window > 0 {
                    span.right = tokens[k.min(n - 1)].end;
                }
                out.push(span);
                return false;
            }
            true
        });
    }

    /// The buffer lost its first `gone` tokens.
    pub(super) fn shift(&mut self, gone: usize) {
        for w in &mut self.waiting {
            w.1 -= gone;
        }
    }
}
