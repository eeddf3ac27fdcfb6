# The Vigil pattern language (docs/language.md). Compiled by scripts/build-grammar.js to
# src/dsl/generated/grammar.ts; the AST constructors are in build.ts.
# Keywords are matched by their text; reserved words (lexer.ts) can never be names, the others
# (key, by, window, first, ...) are ordinary identifiers outside the places where they are keywords.

@preprocessor typescript

@{%
import { lexer } from '../lexer.js';
import * as b from '../build.js';
%}

@lexer lexer

# A cons list, made an array by the parser once at the end: nearley runs a rule's postprocess each time the rule
# completes, here after every declaration, and `decl:*` (or `items` here) copied the list each time (20,000 source
# declarations took 18 s).
program -> null                                                     {% () => null %}
         | decls                                                    {% id %}
decls -> decl                                                       {% (d) => b.cons(null, d[0]) %}
       | decls decl                                                 {% (d) => b.cons(d[0], d[1]) %}

decl -> sourceDecl {% id %} | streamDecl {% id %} | patternDecl {% id %} | tableDecl {% id %}

# ------------------------------------------------------------------ table

# A constant key -> value table for lookup(t, key): inline, or a JSON object read from a file when the program loads.
tableDecl -> "table" %ident "=" object                              {% (d) => b.inlineTable(d[0], d[1], d[3]) %}
           | "table" %ident "=" "file" %string                      {% (d) => b.fileTable(d[0], d[1], d[4], null) %}
           | "table" %ident "=" "file" %string "at" %string         {% (d) => b.fileTable(d[0], d[1], d[4], d[6]) %}

# ------------------------------------------------------------------ source

sourceDecl -> "source" %ident "event" "time" %ident watermarkClause:? idleClause:? sourceClauses
                                                                    {% (d) => b.source(d[0], d[1], d[4], d[5], d[6], b.list(d[7])) %}
watermarkClause -> "watermark" expr "out" "of" "order"              {% (d) => d[1] %}
idleClause -> "idle" "after" expr                                   {% (d) => d[2] %}
# The lists of the grammar are cons lists (see `program` above), made arrays where they are used.
sourceClauses -> null                                               {% () => null %}
               | sourceClauses sourceClause                         {% (d) => b.cons(d[0], d[1]) %}

# What the records look like (a named schema or declared fields) and how the feed's own shape maps to it.
sourceClause ->
    "schema" %ident                                                 {% (d) => b.schemaClause(d[0], d[1], null) %}
  | "schema" %ident object                                          {% (d) => b.schemaClause(d[0], d[1], d[2]) %}
  | "fields" "{" fieldDecls "}"                                     {% (d) => b.fieldsClause(d[0], b.items(d[2])) %}
  | "fields" "{" fieldDecls "," "}"                                 {% (d) => b.fieldsClause(d[0], b.items(d[2])) %}
  | "map" renames                                                   {% (d) => b.mapClause(d[0], b.items(d[1])) %}
  | "map" %ident "values" object                                    {% (d) => b.valueMap(d[0], d[1], d[3], null) %}
  | "map" %ident "values" object "else" literal                     {% (d) => b.valueMap(d[0], d[1], d[3], d[5]) %}
  | "time" "zone" %string                                           {% (d) => b.timeZone(d[0], d[2]) %}
fieldDecls -> fieldDecl                                             {% (d) => b.cons(null, d[0]) %}
            | fieldDecls "," fieldDecl                              {% (d) => b.cons(d[0], d[2]) %}
fieldDecl -> word ":" %ident                                        {% (d) => b.fieldDecl(d[0], false, d[2]) %}
           | word "?" ":" %ident                                    {% (d) => b.fieldDecl(d[0], true, d[3]) %}
renames -> rename                                                   {% (d) => b.cons(null, d[0]) %}
         | renames "," rename                                       {% (d) => b.cons(d[0], d[2]) %}
# The feed's name may be any word or a string; the name patterns read is an identifier.
rename -> word "as" %ident                                          {% (d) => b.rename(d[0], d[2]) %}
        | %string "as" %ident                                       {% (d) => b.rename(d[0], d[2]) %}

# ------------------------------------------------------------------ stream

streamDecl -> "stream" %ident "=" "from" %ident unionClauses whereClause:? enrichClauses keyedClauses:? windowClause:?
              latenessClause:? lateIntoClause:? selectClause:?
    {% (d) => b.stream(d[0], d[1], d[4], { union: b.list(d[5]), where: d[6], enrich: b.list(d[7]), keyBy: d[8]?.[0] ?? null,
                                           keep: d[8]?.[1] ?? null, window: d[9], allowedLateness: d[10], lateInto: d[11], select: d[12] }) %}
# [keys, keep]: `keep` follows `key by` (it bounds per-key state).
keyedClauses -> keyByClause keepClause:?                             {% (d) => [d[0], d[1]] %}

unionClause -> "union" %ident                                       {% (d) => d[1] %}
unionClauses -> null                                                {% () => null %}
              | unionClauses unionClause                            {% (d) => b.cons(d[0], d[1]) %}
enrichClauses -> null                                               {% () => null %}
               | enrichClauses enrichClause                         {% (d) => b.cons(d[0], d[1]) %}

whereClause -> "where" expr                                         {% (d) => d[1] %}
enrichClause -> "enrich" %ident "=" %ident "(" args ")"             {% (d) => b.enrich(d[0], d[1], b.plainCall(d[3], d[5])) %}
keyByClause -> "key" "by" exprList                                  {% (d) => b.items(d[2]) %}
# How long a key's `prev(...)` state outlives its last record (event time).
keepClause -> "keep" expr                                           {% (d) => d[1] %}
latenessClause -> "allowed" "lateness" expr                         {% (d) => d[2] %}
lateIntoClause -> "late" "into" %ident                              {% (d) => d[2] %}

windowClause ->
    "window" "tumbling" expr offsetClause:?                         {% (d) => b.tumbling(d[1], d[2], d[3]) %}
  | "window" "sliding" expr "every" expr offsetClause:?             {% (d) => b.sliding(d[1], d[2], d[4], d[5]) %}
  | "window" "session" "gap" expr                                   {% (d) => b.session(d[1], d[3]) %}
offsetClause -> "offset" expr                                       {% (d) => d[1] %}

selectClause ->
    "select" "*"                                                    {% (d) => b.select(d[0], true, []) %}
  | "select" "*" "," selectItems                                    {% (d) => b.select(d[0], true, b.items(d[3])) %}
  | "select" selectItems                                            {% (d) => b.select(d[0], false, b.items(d[1])) %}
selectItems -> selectItem                                           {% (d) => b.cons(null, d[0]) %}
             | selectItems "," selectItem                           {% (d) => b.cons(d[0], d[2]) %}
selectItem -> expr                                                  {% (d) => b.selectItem(d[0], null) %}
            | expr "as" %ident                                      {% (d) => b.selectItem(d[0], d[2]) %}

# ------------------------------------------------------------------ pattern

patternDecl -> "pattern" %ident paramList:? "from" %ident keyByClause:? letClauses defineClause:? matchClause
               withinClause:? afterMatchClause:? latenessClause:? lateIntoClause:? emits
    {% (d) => b.pattern(d[0], d[1], d[4], { params: d[2], keyBy: d[5], lets: b.list(d[6]), defines: d[7], match: d[8], within: d[9],
                                            afterMatch: d[10], allowedLateness: d[11], lateInto: d[12], emit: d[13][0],
                                            onTimeout: d[13][1] }) %}

# `let name(p, q) = expr` / `let name = expr`: named expressions of the pattern (expanded by the checker).
letClause -> "let" %ident "=" expr                                  {% (d) => b.letDef(d[0], d[1], null, d[3]) %}
           | "let" %ident "(" ")" "=" expr                          {% (d) => b.letDef(d[0], d[1], [], d[5]) %}
           | "let" %ident "(" letParams ")" "=" expr                {% (d) => b.letDef(d[0], d[1], b.items(d[3]), d[6]) %}
letClauses -> null                                                  {% () => null %}
            | letClauses letClause                                  {% (d) => b.cons(d[0], d[1]) %}
letParams -> %ident                                                 {% (d) => b.cons(null, d[0]) %}
           | letParams "," %ident                                   {% (d) => b.cons(d[0], d[2]) %}

# [emit, on timeout emit], in either order.
emits -> emitClause:? timeoutClause:?                               {% (d) => [d[0], d[1]] %}
       | timeoutClause emitClause                                   {% (d) => [d[1], d[0]] %}

paramList -> "(" ")"                                                {% () => [] %}
           | "(" params ")"                                         {% (d) => b.items(d[1]) %}
params -> param                                                     {% (d) => b.cons(null, d[0]) %}
        | params "," param                                          {% (d) => b.cons(d[0], d[2]) %}
param -> %ident "=" literal                                         {% (d) => b.param(d[0], d[2]) %}

literal -> %number                                                  {% (d) => b.number(d[0]) %}
         | %duration                                                {% (d) => b.duration(d[0]) %}
         | "-" %number                                              {% (d) => b.negate(d[0], b.number(d[1])) %}
         | "-" %duration                                            {% (d) => b.negate(d[0], b.duration(d[1])) %}
         | %string                                                  {% (d) => b.string(d[0]) %}
         | "true"                                                   {% (d) => b.keywordLiteral(d[0]) %}
         | "false"                                                  {% (d) => b.keywordLiteral(d[0]) %}
         | "null"                                                   {% (d) => b.keywordLiteral(d[0]) %}

defineClause -> "define" definitions                                {% (d) => b.items(d[1]) %}
definitions -> definition                                           {% (d) => b.cons(null, d[0]) %}
             | definitions definition                               {% (d) => b.cons(d[0], d[1]) %}
definition -> %ident "as" expr                                      {% (d) => b.define(d[0], d[2]) %}

matchClause -> "match" term steps                                   {% (d) => [b.step(null, d[1]), ...b.list(d[2])] %}
steps -> null                                                       {% () => null %}
       | steps connector term                                       {% (d) => b.cons(d[0], b.step(d[1], d[2])) %}

connector ->
    "next"                                                          {% (d) => b.connector(d[0], 'next') %}
  | "followed" "by"                                                 {% (d) => b.connector(d[0], 'followed-by') %}
  | "followed" "by" "any"                                           {% (d) => b.connector(d[0], 'followed-by-any') %}
  | "not" "next"                                                    {% (d) => b.connector(d[0], 'not-next') %}
  | "not" "followed" "by"                                           {% (d) => b.connector(d[0], 'not-followed-by') %}

term -> %ident quantifier modifiers                                 {% (d) => b.term(d[0], d[1][0], d[1][1], b.list(d[2])) %}

# [quantifier, optional]
quantifier -> null                                                  {% () => [null, false] %}
            | "?"                                                   {% (d) => [b.quantifier(d[0]), false] %}
            | "*"                                                   {% (d) => [b.quantifier(d[0]), false] %}
            | "+" "?":?                                             {% (d) => [b.quantifier(d[0]), d[1] !== null] %}
            | counted "?":?                                         {% (d) => [d[0], d[1] !== null] %}
counted -> "{" %number "}"                                          {% (d) => b.times(d[0], d[1], null) %}
         | "{" %number "," "}"                                      {% (d) => b.times(d[0], d[1], 'unbounded') %}
         | "{" %number "," %number "}"                              {% (d) => b.times(d[0], d[1], d[3]) %}

modifiers -> null                                                   {% () => null %}
           | modifiers modifier                                     {% (d) => b.cons(d[0], d[1]) %}
modifier -> "greedy"                                                {% (d) => b.modifier(d[0], null) %}
          | "consecutive"                                           {% (d) => b.modifier(d[0], null) %}
          | "any"                                                   {% (d) => b.modifier(d[0], null) %}
          | "until" expr                                            {% (d) => b.modifier(d[0], d[1]) %}

withinClause -> "within" expr                                       {% (d) => d[1] %}

afterMatchClause ->
    "after" "match" "no" "skip"                                     {% (d) => b.afterMatch(d[0], 'no-skip') %}
  | "after" "match" "skip" "to" "next"                              {% (d) => b.afterMatch(d[0], 'skip-to-next') %}
  | "after" "match" "skip" "past" "last" "event"                    {% (d) => b.afterMatch(d[0], 'skip-past-last-event') %}
  | "after" "match" "skip" "to" "first" %ident                      {% (d) => b.skipTo(d[0], d[4], d[5]) %}
  | "after" "match" "skip" "to" "last" %ident                       {% (d) => b.skipTo(d[0], d[4], d[5]) %}

emitClause -> "emit" object                                         {% (d) => d[1] %}
timeoutClause -> "on" "timeout" "emit" object                       {% (d) => d[3] %}

# ------------------------------------------------------------------ expressions
# Loosest first: or, and, not, comparison (non-associative), + -, * / %, unary minus, primary.

expr -> orExpr                                                      {% id %}

orExpr -> orExpr "or" andExpr                                       {% (d) => b.binary(d[0], d[1], d[2]) %}
        | andExpr                                                   {% id %}
andExpr -> andExpr "and" notExpr                                    {% (d) => b.binary(d[0], d[1], d[2]) %}
         | notExpr                                                  {% id %}
notExpr -> "not" notExpr                                            {% (d) => b.not(d[0], d[1]) %}
         | compare                                                  {% id %}

compare -> sum                                                      {% id %}
         | sum compareOp sum                                        {% (d) => b.binary(d[0], d[1], d[2]) %}
         | sum "in" list                                            {% (d) => b.inList(d[0], false, d[2]) %}
         | sum "not" "in" list                                      {% (d) => b.inList(d[0], true, d[3]) %}
         | sum "between" sum "and" sum                              {% (d) => b.between(d[0], false, d[2], d[4]) %}
         | sum "not" "between" sum "and" sum                        {% (d) => b.between(d[0], true, d[3], d[5]) %}
compareOp -> "==" {% id %} | "!=" {% id %} | "<" {% id %} | "<=" {% id %} | ">" {% id %} | ">=" {% id %}

list -> "[" "]"                                                     {% () => [] %}
      | "[" exprList "]"                                            {% (d) => b.items(d[1]) %}
      | "[" %literals "]"                                           {% (d) => b.literalItems(d[1]) %}

sum -> sum "+" product                                              {% (d) => b.binary(d[0], d[1], d[2]) %}
     | sum "-" product                                              {% (d) => b.binary(d[0], d[1], d[2]) %}
     | product                                                      {% id %}
product -> product "*" unary                                        {% (d) => b.binary(d[0], d[1], d[2]) %}
         | product "/" unary                                        {% (d) => b.binary(d[0], d[1], d[2]) %}
         | product "%" unary                                        {% (d) => b.binary(d[0], d[1], d[2]) %}
         | unary                                                    {% id %}
unary -> "-" unary                                                  {% (d) => b.negate(d[0], d[1]) %}
       | primary                                                    {% id %}

primary ->
    %number                                                         {% (d) => b.number(d[0]) %}
  | %duration                                                       {% (d) => b.duration(d[0]) %}
  | %string                                                         {% (d) => b.string(d[0]) %}
  | "true"                                                          {% (d) => b.keywordLiteral(d[0]) %}
  | "false"                                                         {% (d) => b.keywordLiteral(d[0]) %}
  | "null"                                                          {% (d) => b.keywordLiteral(d[0]) %}
  | %ident                                                          {% (d) => b.field(d[0]) %}
  | %ident "." word                                                 {% (d) => b.member(d[0], d[2]) %}
  | %ident "(" args ")"                                             {% (d) => b.call(d[0], d[2]) %}
  | "(" expr ")"                                                    {% (d) => d[1] %}
  | object                                                          {% id %}

args -> null                                                        {% () => [] %}
      | exprList                                                    {% (d) => b.items(d[0]) %}
# A cons list: copying the array at every item would make a long list quadratic.
exprList -> expr                                                    {% (d) => b.cons(null, d[0]) %}
          | exprList "," expr                                       {% (d) => b.cons(d[0], d[2]) %}

object -> "{" "}"                                                   {% (d) => b.object(d[0], []) %}
        | "{" entries "}"                                           {% (d) => b.object(d[0], b.items(d[1])) %}
        | "{" entries "," "}"                                       {% (d) => b.object(d[0], b.items(d[1])) %}
entries -> entry                                                    {% (d) => b.cons(null, d[0]) %}
         | entries "," entry                                        {% (d) => b.cons(d[0], d[2]) %}
entry -> word ":" expr                                              {% (d) => b.entry(d[0], d[2]) %}
       | %string ":" expr                                           {% (d) => b.entry(d[0], d[2]) %}

# Field names after '.' and emit keys may be any word, reserved or not.
word -> %ident {% id %} | %kw {% id %}
