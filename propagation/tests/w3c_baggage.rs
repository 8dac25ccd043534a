//! W3C Baggage, one rule per test: reading and writing the `baggage`
//! header, and the propagation limits.

use std::collections::HashMap;

use spanlite_api::{Baggage, Context};
use spanlite_propagation::{BaggagePropagator, TextMapPropagator};

fn extract(header: &str) -> Baggage {
    let headers = HashMap::from([("baggage".to_owned(), header.to_owned())]);
    let cx = BaggagePropagator::new().extract_with_context(&Context::new(), &headers);
    Baggage::from_context(&cx)
}

fn inject(baggage: Baggage) -> Option<String> {
    let cx = baggage.in_context(&Context::new());
    let mut headers = HashMap::new();
    BaggagePropagator::new().inject_context(&cx, &mut headers);
    headers.remove("baggage")
}

fn pairs(baggage: &Baggage) -> Vec<(&str, &str)> {
    baggage.iter().map(|e| (e.name(), e.value())).collect()
}

#[test]
fn members_are_read_in_order() {
    let baggage = extract("key1=value1,key2=value2");
    assert_eq!(pairs(&baggage), [("key1", "value1"), ("key2", "value2")]);
}

#[test]
fn whitespace_around_keys_values_and_members_is_ignored() {
    let baggage = extract(" key1 = value1 ,\tkey2\t=\tvalue2\t");
    assert_eq!(pairs(&baggage), [("key1", "value1"), ("key2", "value2")]);
}

#[test]
fn values_are_percent_decoded() {
    let baggage = extract("user=Ada%20Lovelace,list=a%2Cb%3Bc,pct=100%25,utf=%C3%A9");
    assert_eq!(baggage.get("user"), Some("Ada Lovelace"));
    assert_eq!(baggage.get("list"), Some("a,b;c"));
    assert_eq!(baggage.get("pct"), Some("100%"));
    assert_eq!(baggage.get("utf"), Some("é"));
}

#[test]
fn invalid_percent_encoding_drops_that_member_only() {
    let baggage = extract("bad=50%,worse=%zz,good=1,short=%4");
    assert_eq!(pairs(&baggage), [("good", "1")]);
}

#[test]
fn percent_encoded_bytes_that_are_not_utf8_become_the_replacement_character() {
    assert_eq!(extract("k=a%FFb").get("k"), Some("a\u{fffd}b"));
}

#[test]
fn properties_are_kept_as_metadata() {
    let baggage = extract("key1=value1;property1;property2=x, key2=value2");
    assert_eq!(
        baggage.get_with_metadata("key1"),
        Some(("value1", "property1;property2=x"))
    );
    assert_eq!(baggage.get_with_metadata("key2"), Some(("value2", "")));
}

#[test]
fn whitespace_around_properties_is_ignored() {
    let baggage = extract("k=v ; p1 = 1 ;\tp2");
    assert_eq!(baggage.get_with_metadata("k"), Some(("v", "p1=1;p2")));
}

#[test]
fn a_member_with_a_malformed_property_is_dropped() {
    let baggage = extract("a=1;bad key,b=2;p=\"q\",c=3");
    assert_eq!(pairs(&baggage), [("c", "3")]);
}

#[test]
fn a_member_without_equals_is_dropped() {
    assert_eq!(pairs(&extract("novalue,k=v")), [("k", "v")]);
}

#[test]
fn a_key_that_is_not_a_token_drops_the_member() {
    let baggage = extract("a b=1,(x)=2,é=3,=4,ok=5");
    assert_eq!(pairs(&baggage), [("ok", "5")]);
}

#[test]
fn a_value_with_characters_outside_the_baggage_octets_drops_the_member() {
    let baggage = extract("a=x y,b=\"q\",c=back\\slash,d=é,e=fine");
    assert_eq!(pairs(&baggage), [("e", "fine")]);
}

#[test]
fn an_empty_value_is_valid() {
    assert_eq!(extract("k=").get("k"), Some(""));
}

#[test]
fn empty_members_are_skipped() {
    assert_eq!(pairs(&extract(",a=1,,b=2,")), [("a", "1"), ("b", "2")]);
}

#[test]
fn keys_are_case_sensitive_and_the_last_repeat_wins() {
    let baggage = extract("k=1,K=2,k=3");
    assert_eq!(baggage.get("k"), Some("3"));
    assert_eq!(baggage.get("K"), Some("2"));
    assert_eq!(baggage.len(), 2);
}

#[cfg(feature = "http")]
#[test]
fn several_baggage_headers_are_read_in_order() {
    let mut headers = http::HeaderMap::new();
    headers.append("baggage", http::HeaderValue::from_static("a=1,b=2"));
    headers.append("baggage", http::HeaderValue::from_static("b=3"));
    let cx = BaggagePropagator::new().extract_with_context(&Context::new(), &headers);
    let baggage = Baggage::from_context(&cx);
    assert_eq!(pairs(&baggage), [("a", "1"), ("b", "3")]);
}

#[test]
fn extracted_baggage_replaces_the_context_baggage() {
    let cx = Baggage::new()
        .insert("old", "1")
        .in_context(&Context::new());
    let headers = HashMap::from([("baggage".to_owned(), "new=2".to_owned())]);
    let cx = BaggagePropagator::new().extract_with_context(&cx, &headers);
    assert_eq!(pairs(&Baggage::from_context(&cx)), [("new", "2")]);
}

#[test]
fn a_header_without_valid_members_leaves_the_context_unchanged() {
    let cx = Baggage::new()
        .insert("old", "1")
        .in_context(&Context::new());
    let headers = HashMap::from([("baggage".to_owned(), "bad key=1,%%".to_owned())]);
    let out = BaggagePropagator::new().extract_with_context(&cx, &headers);
    assert_eq!(pairs(&Baggage::from_context(&out)), [("old", "1")]);
}

#[test]
fn header_name_is_case_insensitive() {
    let headers = HashMap::from([("Baggage".to_owned(), "k=v".to_owned())]);
    let cx = BaggagePropagator::new().extract_with_context(&Context::new(), &headers);
    assert_eq!(Baggage::from_context(&cx).get("k"), Some("v"));
}

#[test]
fn at_most_180_members_are_read_from_a_header() {
    let members: Vec<String> = (0..200).map(|i| format!("k{i}=v")).collect();
    let baggage = extract(&members.join(","));
    assert_eq!(baggage.len(), 180);
    assert_eq!(baggage.get("k179"), Some("v"));
    assert_eq!(baggage.get("k180"), None);
}

#[test]
fn inject_percent_encodes_values() {
    let baggage = Baggage::new().insert("k", "a b,c;d%é");
    assert_eq!(inject(baggage).as_deref(), Some("k=a%20b%2Cc%3Bd%25%C3%A9"));
}

#[test]
fn inject_writes_metadata_as_properties() {
    let baggage = Baggage::new()
        .insert_with_metadata("k", "v", "p1;p2=x")
        .insert("j", "w");
    assert_eq!(inject(baggage).as_deref(), Some("k=v;p1;p2=x,j=w"));
}

#[test]
fn inject_leaves_off_metadata_that_is_not_a_property_list() {
    let baggage = Baggage::new().insert_with_metadata("k", "v", "a,b=c");
    assert_eq!(inject(baggage).as_deref(), Some("k=v"));
}

#[test]
fn inject_skips_names_that_are_not_tokens() {
    let baggage = Baggage::new()
        .insert("bad name", "1")
        .insert("", "2")
        .insert("good", "3");
    assert_eq!(inject(baggage).as_deref(), Some("good=3"));
}

#[test]
fn inject_writes_nothing_for_empty_or_absent_baggage() {
    assert_eq!(inject(Baggage::new()), None);
    assert_eq!(inject(Baggage::new().insert("bad name", "1")), None);
    let mut headers = HashMap::new();
    BaggagePropagator::new().inject_context(&Context::new(), &mut headers);
    assert!(headers.is_empty());
}

#[test]
fn inject_sends_at_most_64_members() {
    let baggage: Baggage = (0..70)
        .map(|i| spanlite_api::BaggageEntry::new(format!("k{i}"), "v"))
        .collect();
    let header = inject(baggage).unwrap();
    assert_eq!(header.split(',').count(), 64);
    assert!(header.ends_with("k63=v"), "{header}");
}

#[test]
fn inject_sends_all_of_64_members_within_8192_bytes() {
    // 64 members of 127 bytes each plus 63 commas: 8191 bytes.
    let baggage: Baggage = (0..64)
        .map(|i| spanlite_api::BaggageEntry::new(format!("k{i:02}"), "v".repeat(123)))
        .collect();
    let header = inject(baggage).unwrap();
    assert_eq!(header.len(), 8191);
    assert_eq!(header.split(',').count(), 64);
}

#[test]
fn inject_drops_whole_members_that_pass_8192_bytes() {
    // Each member is 1001 bytes; 8 of them with commas are 8015 bytes.
    let baggage: Baggage = (0..10)
        .map(|i| spanlite_api::BaggageEntry::new(format!("k{i}"), "v".repeat(998)))
        .collect();
    let header = inject(baggage).unwrap();
    assert!(header.len() <= 8192);
    let names: Vec<&str> = header.split(',').map(|m| &m[..2]).collect();
    assert_eq!(names, ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"]);
    assert!(header.split(',').all(|m| m.len() == 1001));
}

#[test]
fn inject_counts_the_encoded_length_against_the_limit() {
    // 3000 spaces encode to 9000 bytes: the member cannot be sent at all.
    let baggage = Baggage::new()
        .insert("big", " ".repeat(3000))
        .insert("small", "1");
    assert_eq!(inject(baggage).as_deref(), Some("small=1"));
}

#[test]
fn fields_are_baggage() {
    assert_eq!(BaggagePropagator::new().fields(), ["baggage"]);
}
