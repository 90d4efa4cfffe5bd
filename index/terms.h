// The keys of a segment's term dictionary (docs/formats/index.md) and how a query's text turns
// into keys to look up. Writer and planner both go through here, so they cannot disagree.
//
// Key kinds (the first byte); F is a field number (2 bytes, big-endian) into the index's table
// of text fields, where 0 is the message ("_msg"):
//   't' token '\0' F   the token (or compound piece) occurs in the field's text
//   'v' F value        the string field equals value (values up to kMaxValueBytes)
//   'p' name           the field is present (any type)
//   'x' prefix         some tail token (one that occurs in a single block of the segment, so it
//                      is kept in that block's filter instead) starts with these
//                      kTailPrefixBytes bytes (or is this whole shorter token)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lode::index {

inline constexpr size_t kMaxValueBytes = 64;
// The field number of 't' keys a merge adds for tail terms of one input found in another's
// dictionary: the term may be in any text field of the listed blocks (row counts unknown).
inline constexpr uint16_t kAnyField = 0xFFFF;
// Tokens with at least this many digits (numbers, ids) that occur in a single block of a
// segment go to that block's filter instead of the dictionary.
inline constexpr int kTailDigits = 4;
bool IsTailCandidate(std::string_view term);
inline constexpr size_t kTailPrefixBytes = 3;
inline constexpr std::string_view kMessageField = "_msg";

std::string TokenKey(std::string_view token, uint16_t field);
// Every key of `token` in any field starts with this.
std::string TokenKeyPrefix(std::string_view token);
// The field number of a 't' key (its last two bytes).
uint16_t FieldOfTokenKey(std::string_view key);
std::string ValueKey(uint16_t field, std::string_view value);
std::string PresenceKey(std::string_view field);
std::string TailPrefixKey(std::string_view token_prefix);

// What a word, phrase or prefix needs to find in the index. Every record the text matches (on
// token boundaries, see query/internal/text_search.h) has all `exact` terms in one field; with
// a prefix query, the field also has a token starting with `partial`.
struct NeedleTerms {
  std::vector<std::string> exact;  // folded tokens and compound pieces
  std::string partial;             // folded; empty when none
};
// `prefix`: the needle may end inside a token (`connect*`).
NeedleTerms TermsOfNeedle(std::string_view needle, bool prefix);

// The terms a regular expression's required literal (an RE2 prefilter atom, lower-cased, with
// unknown text on both sides) guarantees: tokens with a non-token byte on both sides inside
// the atom, and the token at its end as a partial prefix when it starts after a non-token byte.
NeedleTerms TermsOfAtom(std::string_view atom);

}  // namespace lode::index
