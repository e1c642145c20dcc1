//! The dialect, operator by operator and function by function. Every expectation here was
//! checked against Jayway 2.10 itself (`../shared/jayway-oracle/`); the differential test in
//! `pkg-tests/jayway.test.mjs` does that for the whole corpus on every run.

use serde_json::{json, Value};

use super::*;

fn store() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "expensive": 10
    })
}

/// A document with a value of every kind, for the operators.
fn kinds() -> Value {
    json!({
        "items": [
            {"n": 1, "s": "1", "f": 1.0, "t": ["a", "b"], "b": true, "name": "alpha"},
            {"n": 2, "s": "two", "f": 2.5, "t": [], "b": false, "name": "Beta"},
            {"n": 10, "s": "", "t": ["b"], "z": null, "name": "gamma/1"},
            {"n": -1, "s": "1.0", "f": 1e10, "t": ["c", "a"], "name": "δέλτα"}
        ],
        "limit": 2,
        "word": "two",
        "flags": {"merged": true, "number": 7}
    })
}

#[track_caller]
fn sel(doc: &Value, path: &str) -> Value {
    let p = compile(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Value::Array(p.select(doc).into_iter().map(|c| c.into_owned()).collect())
}

#[track_caller]
fn names(path: &str) -> Vec<String> {
    let v = sel(&kinds(), path);
    v.as_array().unwrap().iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect()
}

#[track_caller]
fn refused(path: &str) -> PathError {
    match compile(path) {
        Ok(_) => panic!("{path} compiled, Jayway refuses it"),
        Err(e) => e,
    }
}

// -------------------------------------------------------------------------------------------
// Reading paths

#[test]
fn paths_jayway_accepts_leniently() {
    let doc = json!({"ref": "r", "a-b": 1, "a": {"b c": 2, "x]": 3}, "arr": [10, 20, 30]});
    assert_eq!(sel(&doc, "ref"), json!(["r"]), "no $: read as $.ref");
    assert_eq!(sel(&doc, ".ref"), json!(["r"]), ".ref is $..ref");
    assert!(!compile(".ref").unwrap().is_definite());
    assert_eq!(sel(&doc, "$.a-b"), json!([1]), "a name runs to the next . or [");
    assert_eq!(sel(&doc, "$.a.x]"), json!([3]));
    assert!(compile("  $.ref").is_err(), "leading spaces before $: read as $.  $.ref");
    assert_eq!(sel(&doc, "$.ref  "), json!(["r"]), "trailing spaces are trimmed");
    assert_eq!(sel(&doc, "$.['ref']"), json!(["r"]), ".[ is [");
    assert_eq!(sel(&doc, "$.arr[1]x"), json!([20]), "a last character after a token is ignored");
    assert_eq!(sel(&doc, "$.arr[0:3:2]"), json!([10, 20, 30]), "a slice step is ignored");
    assert_eq!(sel(&doc, "$['a']['b c']"), json!([2]));
    assert_eq!(sel(&doc, "$['ref',x'a-b']"), json!([{"ref": "r", "a-b": 1}]), "between quoted names, other characters are skipped");
    assert_eq!(sel(&doc, "@.ref"), json!(["r"]));
}

#[test]
fn paths_jayway_refuses_with_reason_and_column() {
    for (path, column, why) in [
        ("$ref", 2, "needs a dot"),
        ("$.a b", 4, "space"),
        ("$.", 2, "ends with '.'"),
        ("$..", 3, "ends with '..'"),
        ("$...a", 4, "three dots"),
        ("$[?@.a]", 2, "with parentheses"),
        ("$[?(@.a == 1]", 2, "no matching ')'"),
        ("$[?(@.a) && (@.b)]", 2, "must be followed by ']'"),
        ("$[?]", 2, "passed from Java"),
        ("$[::2]", 3, "neither a start nor an end"),
        ("$[1 : 2]", 3, "cannot contain spaces"),
        ("$[1,,2]", 3, "missing"),
        ("$['a',]", 7, "missing after ','"),
        ("$['a'", 6, "followed by ',' or ']'"),
        ("$[?(@.a foo 1)]", 9, "'foo' is not a filter operator"),
        ("$[?(@.a == x)]", 12, "'x' is not a value"),
        ("$[?(@.a == 'x)]", 12, "not closed"),
        ("$[?(1)]", 5, "a value alone is not a condition"),
        ("$[?(@.a =~ /(a/)]", 13, "'(' without its ')'"),
        ("$[?(@.a =~ /(a)\\1/)]", 16, "back-references"),
        ("$.sum(1", 6, "no closing ')'"),
        ("$[*", 4, "'[*' must be closed"),
        ("$[a]", 2, "must be quoted"),
    ] {
        let e = refused(path);
        assert!(e.reason.contains(why), "{path}: {}", e.reason);
        assert_eq!(e.column, column, "{path}: {}", e.reason);
        assert!(!e.reason.contains('\n'));
    }
}

#[test]
fn rfc_9535_only_syntax_is_refused() {
    for p in ["$[?@.a == 1]", "$[?match(@.a, 'x')]", "$[?(match(@.a, 'x'))]", "$[::2]", "$.a[?@]"] {
        refused(p);
    }
}

#[test]
fn definiteness_is_jayways() {
    for p in ["$", "$.a", "$['a']", "$.a[0]", "$.a[-1]", "$['a','b']", "$.a.length()", "$..a.length()", "a.b"] {
        assert!(compile(p).unwrap().is_definite(), "{p}");
    }
    for p in ["$.*", "$[*]", "$..a", "$.a[?(@.b)]", "$.a[0:2]", "$.a[0,1]", "$['a','b'].c", ".a", "$.a[*].length()"] {
        assert!(!compile(p).unwrap().is_definite(), "{p}");
    }
}

#[test]
fn definite_steps_are_names_and_indexes_only() {
    assert_eq!(compile("$.a[0]['b']").unwrap().definite_steps(), Some(vec![Step::Name("a"), Step::Index(0), Step::Name("b")]));
    assert_eq!(compile("a").unwrap().definite_steps(), Some(vec![Step::Name("a")]));
    assert_eq!(compile("$").unwrap().definite_steps(), Some(vec![]));
    for p in ["$['a','b']", "$.a.length()", "$..a", "$.a[*]"] {
        assert_eq!(compile(p).unwrap().definite_steps(), None, "{p}");
    }
}

// -------------------------------------------------------------------------------------------
// Selecting

#[test]
fn readme_paths_select_what_jayway_selects() {
    let doc = store();
    assert_eq!(sel(&doc, "$.store.book[*].author"), json!(["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]));
    assert_eq!(sel(&doc, "$..author").as_array().unwrap().len(), 4);
    assert_eq!(sel(&doc, "$.store..price"), json!([8.95, 12.99, 8.99, 22.99, 19.95]));
    assert_eq!(sel(&doc, "$..book[2].title"), json!(["Moby Dick"]));
    assert_eq!(sel(&doc, "$..book[-2].title"), json!(["Moby Dick"]));
    assert_eq!(sel(&doc, "$..book[0,1].title"), json!(["Sayings of the Century", "Sword of Honour"]));
    assert_eq!(sel(&doc, "$..book[:2].price"), json!([8.95, 12.99]));
    assert_eq!(sel(&doc, "$..book[1:2].price"), json!([12.99]));
    assert_eq!(sel(&doc, "$..book[-2:].price"), json!([8.99, 22.99]));
    assert_eq!(sel(&doc, "$..book[2:].price"), json!([8.99, 22.99]));
    assert_eq!(sel(&doc, "$..book[?(@.isbn)].title"), json!(["Moby Dick", "The Lord of the Rings"]));
    assert_eq!(sel(&doc, "$.store.book[?(@.price < 10)].price"), json!([8.95, 8.99]));
    assert_eq!(sel(&doc, "$..book[?(@.price <= $['expensive'])].price"), json!([8.95, 8.99]));
    assert_eq!(sel(&doc, "$..book[?(@.author =~ /.*REES/i)].author"), json!(["Nigel Rees"]));
    assert_eq!(sel(&doc, "$..*").as_array().unwrap().len(), 28);
    assert_eq!(sel(&doc, "$..book.length()"), json!([4]));
}

#[test]
fn missing_members_of_definite_paths_select_nothing() {
    let doc = store();
    for p in ["$.nope", "$.store.nope.x", "$.store.book[9]", "$.store.book.x", "$.expensive[0]", "$.store.bicycle[?(@.x)]"] {
        assert_eq!(sel(&doc, p), json!([]), "{p}");
    }
    assert_eq!(sel(&json!({"a": null}), "$.a"), json!([null]), "a present null is selected");
}

#[test]
fn a_filter_on_an_object_tests_the_object() {
    let doc = json!({"pull_request": {"merged": true, "number": 7}, "other": {"merged": false, "number": 8}});
    assert_eq!(sel(&doc, "$.pull_request[?(@.merged == true)].number"), json!([7]));
    assert_eq!(sel(&doc, "$.other[?(@.merged == true)].number"), json!([]));
    assert_eq!(sel(&doc, "$[?(@.merged == true)]"), json!([]), "the root object lacks 'merged'");
    assert_eq!(sel(&doc, "$.*[?(@.merged == false)].number"), json!([8]));
}

#[test]
fn several_names_merge_at_the_end_and_iterate_before_it() {
    let doc = json!({"ref": "r", "after": "a", "o": {"x": {"v": 1}, "y": {"v": 2}}});
    assert_eq!(sel(&doc, "$['ref','after']"), json!([{"ref": "r", "after": "a"}]));
    assert_eq!(sel(&doc, "$['ref','nope']"), json!([{"ref": "r"}]));
    assert_eq!(sel(&doc, "$.o['x','y'].v"), json!([1, 2]));
    assert_eq!(sel(&doc, "$..['x','y']"), json!([{"x": {"v": 1}, "y": {"v": 2}}]));
}

#[test]
fn deep_scan_order_and_its_index_quirk() {
    let doc = json!({"a": [{"name": 1}, {"name": 2}], "b": {"name": 3}, "c": {"x": {"name": 4}}});
    assert_eq!(sel(&doc, "$..name"), json!([1, 2, 3, 4]));
    // After `..[i]`, Jayway keeps a leaf name only of element i; and once a scan has passed an
    // array, `..*.name` keeps no more names.
    assert_eq!(sel(&doc, "$..[0].name"), json!([1]));
    assert_eq!(sel(&doc, "$..[1].name"), json!([2]));
    assert_eq!(sel(&doc, "$..*.name"), json!([3]));
}

#[test]
fn slices_as_jayway_reads_them() {
    let doc = json!([0, 1, 2, 3, 4]);
    assert_eq!(sel(&doc, "$[1:3]"), json!([1, 2]));
    assert_eq!(sel(&doc, "$[-2:]"), json!([3, 4]));
    assert_eq!(sel(&doc, "$[:-1]"), json!([0, 1, 2, 3]));
    assert_eq!(sel(&doc, "$[1:-1]"), json!([]), "an end below the start selects nothing");
    assert_eq!(sel(&doc, "$[-2:3]"), json!([3, 4, 0, 1, 2]), "a negative start counts from the end while negative");
    assert_eq!(sel(&doc, "$[-9:2]"), json!([0, 1, 2, 3, 4, 0, 1]));
    assert_eq!(sel(&doc, "$[3:100]"), json!([3, 4]));
    assert_eq!(sel(&doc, "$[-2147483648:2147483647]").as_array().unwrap().len(), 10, "bounded by the array");
}

// -------------------------------------------------------------------------------------------
// Filter operators

#[test]
fn operator_eq_and_ne_with_loose_types() {
    assert_eq!(names("$.items[?(@.n == 1)].name"), ["alpha"]);
    assert_eq!(names("$.items[?(@.s == 1)].name"), ["alpha"], "'1' == 1");
    assert_eq!(names("$.items[?(@.n == '1')].name"), ["alpha"], "1 == '1'");
    assert_eq!(names("$.items[?(@.f == 1)].name"), ["alpha"], "1.0 == 1");
    assert_eq!(names("$.items[?(@.s == 1.0)].name"), ["δέλτα"], "'1.0' == 1.0 by text");
    assert_eq!(names("$.items[?(@.n == '1.0')].name"), ["alpha"], "1 == '1.0' by value");
    assert_eq!(names("$.items[?(@.f == 1.0E10)].name"), ["δέλτα"]);
    assert!(compile("$.items[?(@.f == 1E+10)]").is_err(), "a number literal has no '+'");
    assert_eq!(names("$.items[?(@.b == true)].name"), ["alpha"]);
    assert_eq!(names("$.items[?(@.z == null)].name"), ["gamma/1"]);
    assert_eq!(names("$.items[?(@.t == ['a','b'])].name"), ["alpha"]);
    assert_eq!(names("$.items[?(['a','b'] == @.t)].name"), Vec::<String>::new(), "a literal on the left stays text");
    assert_eq!(names("$.items[?(@.n != 1)].name"), ["Beta", "gamma/1", "δέλτα"]);
    assert_eq!(names("$.items[?(@.nope != 1)].name").len(), 4, "undefined equals nothing");
    assert_eq!(names("$.items[?(@.n == $.limit)].name"), ["Beta"]);
}

#[test]
fn operator_type_safe_eq_and_ne() {
    assert_eq!(names("$.items[?(@.s === 1)].name"), Vec::<String>::new());
    assert_eq!(names("$.items[?(@.n === 1)].name"), ["alpha"]);
    assert_eq!(names("$.items[?(@.s !== 1)].name"), ["alpha", "Beta", "gamma/1", "δέλτα"]);
}

#[test]
fn operators_lt_le_gt_ge() {
    assert_eq!(names("$.items[?(@.n < 2)].name"), ["alpha", "δέλτα"]);
    assert_eq!(names("$.items[?(@.n <= 2)].name"), ["alpha", "Beta", "δέλτα"]);
    assert_eq!(names("$.items[?(@.n > 2)].name"), ["gamma/1"]);
    assert_eq!(names("$.items[?(@.n >= 2)].name"), ["Beta", "gamma/1"]);
    assert_eq!(names("$.items[?(@.name > 'b')].name"), ["gamma/1", "δέλτα"], "strings by UTF-16 order");
    assert_eq!(names("$.items[?(@.s < 5)].name"), Vec::<String>::new(), "a string and a number never order");
}

#[test]
fn operator_regex() {
    assert_eq!(names("$.items[?(@.name =~ /a.*/)].name"), ["alpha"]);
    assert_eq!(names("$.items[?(@.name =~ /B.*/i)].name"), ["Beta"]);
    assert_eq!(names("$.items[?(@.name =~ /gamma\\/\\d/)].name"), ["gamma/1"]);
    assert_eq!(names("$.items[?(@.n =~ /-?1/)].name"), ["alpha", "δέλτα"], "a number matches as its text");
    assert_eq!(names("$.items[?(@.f =~ /1.0E\\+10/)].name"), ["δέλτα"], "as BigDecimal prints it");
    assert_eq!(names("$.items[?(@.t =~ /c/)].name"), ["δέλτα"], "an array matches if an element does");
    assert_eq!(names("$.items[?(@.nope =~ /.*/)].name").len(), 4, "a missing value matches as ''");
    assert_eq!(names("$.items[?(/Beta/ =~ @.name)].name"), ["Beta"]);
    assert_eq!(names("$.items[?(@.name =~ @.name)].name").len(), 0, "no pattern: false");
}

#[test]
fn operators_in_and_nin() {
    assert_eq!(names("$.items[?(@.n in [1, 10])].name"), ["alpha", "gamma/1"]);
    assert_eq!(names("$.items[?(@.s in ['two', 'x'])].name"), ["Beta"]);
    assert_eq!(names("$.items[?(@.s in [two, x])].name"), ["Beta"], "json-smart reads bare words as strings");
    assert_eq!(names("$.items[?(@.n nin [1, 10])].name"), ["Beta", "δέλτα"]);
    assert_eq!(names("$.items[?(@.n in $.flags)].name"), Vec::<String>::new(), "an object is no list");
    assert_eq!(names("$.items[?(@.n nin 'x')].name"), Vec::<String>::new(), "a string is no list: the filter fails");
    assert_eq!(names("$.items[?(@.name in ['ALPHA'])].name"), Vec::<String>::new());
}

#[test]
fn operators_subsetof_anyof_noneof() {
    assert_eq!(names("$.items[?(@.t subsetof ['a', 'b', 'c'])].name"), ["alpha", "Beta", "gamma/1", "δέλτα"]);
    assert_eq!(names("$.items[?(@.t subsetof ['a', 'b'])].name"), ["alpha", "Beta", "gamma/1"]);
    assert_eq!(names("$.items[?(@.t anyof ['c', 'x'])].name"), ["δέλτα"]);
    assert_eq!(names("$.items[?(@.t noneof ['a'])].name"), ["Beta", "gamma/1"]);
    assert_eq!(names("$.items[?(@.s noneof ['a'])].name"), Vec::<String>::new(), "not a list: false");
}

#[test]
fn operators_size_empty_contains() {
    assert_eq!(names("$.items[?(@.t size 2)].name"), ["alpha", "δέλτα"]);
    assert_eq!(names("$.items[?(@.name size 5)].name"), ["alpha", "δέλτα"], "a string's UTF-16 length");
    assert_eq!(names("$.items[?(@.t empty true)].name"), ["Beta"]);
    assert_eq!(names("$.items[?(@.s empty true)].name"), ["gamma/1"]);
    assert_eq!(names("$.items[?(@.t empty false)].name"), ["alpha", "gamma/1", "δέλτα"]);
    assert_eq!(names("$.items[?(@.t contains 'a')].name"), ["alpha", "δέλτα"]);
    assert_eq!(names("$.items[?(@.name contains 'mm')].name"), ["gamma/1"]);
    assert_eq!(sel(&kinds(), "$[?(@.flags empty false)]"), json!([]), "empty on an object fails the read in Jayway");
}

#[test]
fn operators_and_or_not_and_existence() {
    assert_eq!(names("$.items[?(@.n > 0 && @.b == false)].name"), ["Beta"]);
    assert_eq!(names("$.items[?(@.n > 5 || @.b == true)].name"), ["alpha", "gamma/1"]);
    assert_eq!(names("$.items[?(!(@.n > 0))].name"), ["δέλτα"]);
    assert_eq!(names("$.items[?(@.f)].name"), ["alpha", "Beta", "δέλτα"]);
    assert_eq!(names("$.items[?(!@.f)].name"), ["gamma/1"]);
    assert_eq!(names("$.items[?(@.z)].name"), ["gamma/1"], "a null member exists");
    assert_eq!(names("$.items[?(!@.f == 1)].name"), ["alpha"], "'!' before a compared path is ignored");
    assert_eq!(names("$.items[?(@.f&&@.b)].name"), Vec::<String>::new(), "'@.f&&@.b' is one path, the name 'f&&@'");
}

#[test]
fn operators_all_type_matches_exists_are_read_but_never_hold() {
    for p in ["$.items[?(@.t all ['a'])]", "$.items[?(@.n type 1)]", "$.items[?(@.n matches 1)]"] {
        assert_eq!(sel(&kinds(), p), json!([]), "{p}");
    }
    assert_eq!(names("$.items[?(@.b exists true)].name"), ["alpha"]);
}

#[test]
fn list_elements_become_nodes_as_jayway_makes_them() {
    let doc = json!({"x": [{"v": "a"}, {"v": "$.p"}, {"v": "[1]"}, {"v": "q"}], "l": ["'a'", "$.p", "[1]", "q\\u0041"]});
    // A list's string that reads as a path equals nothing; quotes around one are dropped,
    // escapes in it resolved.
    assert_eq!(sel(&doc, "$.x[?(@.v in $.l)].v"), json!(["a"]));
    assert_eq!(sel(&doc, "$.x[?(@.v in ['$.p', '[1]'])].v"), json!([]));
    assert_eq!(sel(&doc, "$.x[?('qA' in $.l)].v").as_array().unwrap().len(), 4);
    // An object in a list ends the read.
    assert_eq!(sel(&doc, "$.x[?(@.v in [{}])].v"), json!([]));
}

// -------------------------------------------------------------------------------------------
// Functions

#[test]
fn function_length_and_size() {
    let doc = store();
    assert_eq!(sel(&doc, "$.store.book.length()"), json!([4]));
    assert_eq!(sel(&doc, "$.store.book.size()"), json!([4]));
    assert_eq!(sel(&doc, "$.store.bicycle.length()"), json!([2]), "an object's member count");
    assert_eq!(sel(&doc, "$.store.bicycle.color.length()"), json!([null]), "a string has no length()");
    assert_eq!(sel(&doc, "$..book.length()"), json!([4]));
    assert_eq!(sel(&doc, "$..author.length()"), json!([0]), "the children of strings: none");
    assert_eq!(sel(&doc, "$.store.book[?(@.title.length() > 3)]"), json!([]), "null > 3 fails");
    assert_eq!(sel(&json!([[1, 2], [1]]), "$[?(@.length() > 1)]"), json!([[1, 2]]));
}

#[test]
fn functions_min_max_avg_sum_stddev() {
    let doc = json!({"n": [1, 2, 3, 4], "neg": [-1, -2], "mixed": [1, "x", 2.5], "e": []});
    assert_eq!(sel(&doc, "$.n.min()"), json!([1.0]));
    assert_eq!(sel(&doc, "$.n.max()"), json!([4.0]));
    assert_eq!(sel(&doc, "$.n.avg()"), json!([2.5]));
    assert_eq!(sel(&doc, "$.n.sum()"), json!([10.0]));
    assert_eq!(sel(&doc, "$.n.stddev()"), json!([1.118033988749895]));
    assert_eq!(sel(&doc, "$.mixed.sum()"), json!([3.5]), "only the numbers");
    assert_eq!(sel(&doc, "$.neg.max()"), json!([5e-324]), "max() starts from Double.MIN_VALUE");
    assert_eq!(sel(&doc, "$.e.sum()"), json!([]), "of nothing: the read fails");
    assert_eq!(sel(&doc, "$.n.sum(10, $.neg)"), json!([17.0]), "arguments add numbers");
    assert_eq!(sel(&doc, "$..n.sum()"), json!([]), "sum($..n): a list of arrays holds no numbers");
}

#[test]
fn functions_concat_append_keys() {
    let doc = json!({"s": ["a", "b", 1], "o": {"x": 1, "y": 2}, "t": "z"});
    assert_eq!(sel(&doc, "$.s.concat()"), json!(["ab"]), "only the strings of the array");
    assert_eq!(sel(&doc, "$.s.concat(\"-\", 1, $.o)"), json!(["ab-1{x=1, y=2}"]), "an object prints as a Java map");
    assert_eq!(sel(&doc, "$.t.concat(\"x\")"), json!(["x"]), "a non-array contributes nothing");
    assert_eq!(sel(&doc, "$.s.append(\"c\", 2)"), json!([["a", "b", 1, "c", 2]]));
    assert_eq!(sel(&doc, "$.o.append(1)"), json!([{"x": 1, "y": 2}]));
    assert_eq!(sel(&doc, "$.o.keys()"), json!([["x", "y"]]));
    assert_eq!(sel(&doc, "$.s.keys()"), json!([null]));
}

#[test]
fn functions_first_last_index() {
    let doc = json!({"a": [1, 2, 3], "one": [7], "o": {}});
    assert_eq!(sel(&doc, "$.a.first()"), json!([1]));
    assert_eq!(sel(&doc, "$.a.last()"), json!([3]));
    assert_eq!(sel(&doc, "$.a.index(1)"), json!([2]));
    assert_eq!(sel(&doc, "$.a.index(-1)"), json!([3]));
    assert_eq!(sel(&doc, "$.one.last()"), json!([]), "Jayway refuses the last of one element");
    assert_eq!(sel(&doc, "$.a.index(3)"), json!([]));
    assert_eq!(sel(&doc, "$.o.first()"), json!([]));
}

#[test]
fn function_names_are_checked_when_read() {
    let doc = json!({"a": [1]});
    assert!(compile("$.a.nosuch()").is_ok(), "Jayway compiles an unknown function");
    assert_eq!(sel(&doc, "$.a.nosuch()"), json!([]));
    assert_eq!(sel(&doc, "$.a.length().x"), json!([]), "after a call, ')' starts a name");
}

// -------------------------------------------------------------------------------------------
// Bounds

#[test]
fn deep_documents_are_walked_without_recursion() {
    // Deeper than serde_json's parser allows, built by hand.
    let mut doc = json!({"x": 1});
    for _ in 0..20_000 {
        doc = Value::Array(vec![doc]);
    }
    assert_eq!(sel(&doc, "$..x"), json!([1]));
    assert_eq!(compile("$..*").unwrap().select(&doc).len(), 20_001);
    assert_eq!(sel(&doc, "$..[?(@.x == 1)].x"), json!([1]));
    // Dropping a 20,000-deep Value recurses in serde_json; take it apart by hand.
    let mut v = doc;
    while let Value::Array(mut a) = v {
        v = a.pop().unwrap_or(Value::Null);
    }
}

#[test]
fn hostile_paths_stop_at_the_bounds() {
    // About 1 MB, 150,000 nodes.
    let doc = Value::Array((0..50_000).map(|i| json!({"a": i, "b": [i]})).collect());
    for p in ["$[?(@.a in $..*)]", "$..[?(@.b anyof $..a)]", "$[*][?(@.a in $..*)].a", "$..*[?(@ in $..a)]", "$[?(@.b subsetof $..a)]"] {
        let s = compile(p).unwrap().select_bounded(&doc);
        assert!(s.truncated, "{p}");
        assert!(s.values.len() <= MAX_SELECTED, "{p}");
    }
    let s = compile("$..*").unwrap().select_bounded(&doc);
    assert_eq!((s.values.len(), s.truncated), (MAX_SELECTED, true));
    let s = compile("$[*].a").unwrap().select_bounded(&doc);
    assert_eq!((s.values.len(), s.truncated), (50_000, false));
}

#[test]
fn regex_work_is_charged() {
    let doc = Value::Array((0..20).map(|_| json!("a".repeat(65_536))).collect());
    let t = std::time::Instant::now();
    let s = compile("$[?(@ =~ /(a|aa)*b.{100}/)]").unwrap().select_bounded(&doc);
    assert!(s.truncated && s.values.is_empty());
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
    let s = compile("$[?(@ =~ /a*/)]").unwrap().select_bounded(&doc);
    assert_eq!((s.values.len(), s.truncated), (20, false));
}

#[test]
fn deep_nesting_in_paths_is_refused_cleanly() {
    let p = format!("$[?({}@.a{})]", "(".repeat(60), ")".repeat(60));
    assert!(p.len() <= 150);
    assert!(compile(&p).is_ok());
    let deep = format!("$[?({}@.a{})]", "(".repeat(500), ")".repeat(500));
    assert!(compile(&deep).unwrap_err().reason.contains("deeper than"));
    let filters = format!("$.a{}", "[?(@.b".repeat(300) + &")]".repeat(300));
    assert!(compile(&filters).is_err());
    let json = format!("$[?(@ in {}{})]", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(compile(&json).unwrap().select(&json!([1])), Vec::<std::borrow::Cow<Value>>::new());
}

/// A deterministic shower of token soup: no input may panic, overflow or take long.
#[test]
fn compile_and_select_never_panic_on_token_soup() {
    const TOKENS: &[&str] = &[
        "$", "@", ".", "..", "*", "[", "]", "(", ")", "?", "!", "==", "!=", "<", "<=", "=~", "&&", "||", ",", ":", "-1", "0", "7",
        "'a'", "\"b\"", "a", "length()", "sum(", "concat(", "keys()", " ", "null", "true", "1.5e3", "[?(", "@.a", "$..*", "/a.*/i",
        "{", "}", "in", "anyof", "size", "empty", "\\", "'", "[1,'x']", "/(/", "index(1)",
    ];
    let doc = json!({"a": [1, {"a": "x", "b": null}, [true, 2.5]], "b": {"a": {"a": []}}});
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let started = std::time::Instant::now();
    let mut compiled = 0;
    for _ in 0..5000 {
        let mut p = String::from(["$", "", "$.", "@"][(next() % 4) as usize]);
        for _ in 0..(next() % 40) {
            p.push_str(TOKENS[(next() % TOKENS.len() as u64) as usize]);
        }
        if let Ok(c) = compile(&p) {
            compiled += 1;
            let _ = c.select_bounded(&doc);
        }
    }
    assert!(compiled > 300, "{compiled}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
