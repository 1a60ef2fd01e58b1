"""Every class of bad input (issue 8, and issue 2's core cases): the exact message, exit 2, no traceback,
nothing written.

Each case breaks one thing in tests/fixtures/tiny.yaml, a valid spec (`archcheck verify` passes it, see
test_the_fixture_is_valid), and states the whole stderr archcheck must print, one problem a line:
`file:line:column: field: what was expected, what was found`. tests/ERRORS.md is the table of these
cases, rendered from CASES (regenerate with `pytest tests/test_errors.py --update-golden`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from archcheck.spec import arith, cells, yamlload
from archcheck.spec.limits import (MAX_CHANNELS, MAX_FEATURES, MAX_KERNEL, MAX_LAYERS, MAX_ROWS, MAX_SPATIAL,
                                     MAX_USE_DEPTH)

from .conftest import FIXTURES, check_golden

TINY = (FIXTURES / "tiny.yaml").read_text(encoding="utf-8")
TABLE = FIXTURES.parent / "ERRORS.md"


@dataclass(frozen=True)
class Case:
    id: str
    title: str               # the error class, for the table
    shows: str               # what the input does wrong, for the table
    edits: tuple = ()        # (old, new) replacements in tiny.yaml, each old occurring once
    args: tuple = ()         # extra command-line arguments
    text: str | None = None  # the whole spec text instead of edits
    path: str = "spec.yaml"
    write: bool = True       # False: no file at `path`
    expected: tuple = ()     # stderr lines after "archcheck: error: "

    def spec_bytes(self) -> bytes:
        text = TINY if self.text is None else self.text
        for old, new in self.edits:
            assert text.count(old) == 1, f"{self.id}: {old!r} must occur once in tiny.yaml"
            text = text.replace(old, new)
        return text.encode("utf-8", "surrogateescape")   # "\udcff" stands for a raw 0xff byte


def _chain_spec(levels: int, fanout: int) -> str:
    """A valid spec whose templates t1..t<levels-1> each use the one below `fanout` times."""
    lines = ["archcheck: 1", "name: chain", "paper: {title: chain}", "columns: [{name: type, kind: label}]",
             "input: [3, 8, 8]", "templates:", "  t0: {merge: sequence, layers: [{conv: {out: 3, kernel: 1}}]}"]
    for i in range(1, levels):
        uses = ", ".join([f"{{use: t{i - 1}}}"] * fanout)
        lines.append(f"  t{i}: {{merge: sequence, layers: [{uses}]}}")
    lines += ["rows:", f"  - {{name: r, template: t{levels - 1}}}", ""]
    return "\n".join(lines)


CASES = [
    Case('yaml-syntax', 'YAML syntax error',
         '`input: [3, 32, 32` (unclosed list)',
         edits=[('input: [3, 32, 32]', 'input: [3, 32, 32')],
         expected=(
             "spec.yaml:15:8: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 14)",
         )),
    Case('yaml-tab', 'YAML syntax error: a tab',
         'a line indented with a tab',
         edits=[('    figure: Figure 1', '\tfigure: Figure 1')],
         expected=(
             'spec.yaml:18:1: YAML syntax error: found character that cannot start any token (a tab; YAML indents with spaces only)',
         )),
    Case('not-utf8', 'not UTF-8',
         'the byte 0xff in `name: tiny`',
         edits=[('name: tiny', 'name: tiny\udcff')],
         expected=(
             'spec.yaml:5:11: expected UTF-8 text, found the byte 0xff (byte 315 of the file)',
         )),
    Case('empty-file', 'empty file',
         'an empty file',
         text='',
         expected=(
             'spec.yaml:1:1: the file is empty; expected a YAML mapping',
         )),
    Case('missing-file', 'missing file',
         '`archcheck verify spec.yaml` with no such file',
         write=False,
         expected=(
             'spec.yaml: no such file',
         )),
    Case('not-a-mapping', 'wrong type: the whole spec',
         'a YAML list instead of a mapping',
         text='- conv\n- pool\n',
         expected=(
             'spec.yaml:1:1: expected a YAML mapping at the top of the spec, found a list',
         )),
    Case('unknown-key', 'unknown key, with a did-you-mean',
         '`figrue: Figure 1` in a template',
         edits=[('figure: Figure 1', 'figrue: Figure 1')],
         expected=(
             "spec.yaml:18:13: templates.mixed.figrue: unknown key (did you mean 'figure'?); expected one of: merge, params, branches, layers, order, expansion, scale, activation, class_name, figure",
         )),
    Case('unknown-row-key', 'unknown row key (issue 2: unknown row type)',
         '`templat: mixed` in a row',
         edits=[('    template: mixed', '    templat: mixed')],
         expected=(
             "spec.yaml:35:14: rows[1] (mixed_1).templat: unknown key (did you mean 'template'?); expected one of: name, paper, template, args, layers, when, aux, virtual, absent, paper_row, transition, source, repeat, applies_to",
             "spec.yaml:36:11: rows[1] (mixed_1).args: args are given to a template or to the row's layers; this row has neither",
         )),
    Case('unknown-layer-kind', 'unknown layer kind (issue 2)',
         '`{pooling: {type: avg, kernel: 16}}`',
         edits=[('{pool: {type: avg, kernel: 16}}', '{pooling: {type: avg, kernel: 16}}')],
         expected=(
             "spec.yaml:40:19: rows[2] (pool).layers[0].pooling: unknown layer kind or key (did you mean 'pool'?); expected one of conv, sepconv, pool, global_pool, lrn, bn, relu, dropout, flatten, linear, identity, use",
         )),
    Case('wrong-type', 'wrong type',
         '`input: 3x32x32`',
         edits=[('input: [3, 32, 32]', 'input: 3x32x32')],
         expected=(
             "spec.yaml:14:8: input: expected a list, found text ('3x32x32')",
         )),
    Case('float-for-int', 'wrong type: a float where a whole number is expected',
         '`kernel: 3.0`',
         edits=[('kernel: 3, stride: 2', 'kernel: 3.0, stride: 2')],
         expected=(
             'spec.yaml:32:33: rows[0] (conv1).layers[0].conv.kernel: expected a whole number or [h, w], found a number (3.0)',
         )),
    Case('missing-field', 'missing required field (issue 2)',
         '`{name: type}` (a column without `kind`)',
         edits=[('{name: type, kind: label}', '{name: type}')],
         expected=(
             'spec.yaml:8:5: columns[0].kind: missing required field',
         )),
    Case('missing-argument', 'missing required layer argument',
         '`{linear: {}}`',
         edits=[('{linear: {out: num_classes}}', '{linear: {}}')],
         expected=(
             'spec.yaml:45:18: rows[3] (fc).layers[1].linear.out: missing required argument',
         )),
    Case('negative-channels', 'non-positive size: negative channels (issue 2)',
         '`{conv: {out: -8, ...}}`',
         edits=[('{conv: {out: 8, kernel: 3', '{conv: {out: -8, kernel: 3')],
         expected=(
             "spec.yaml:32:22: rows[0] (conv1).layers[0].conv.out: expected a whole number from 1 to 100,000 (archcheck's limit), found -8",
         )),
    Case('zero-channels', 'non-positive size: zero channels',
         '`{conv: {out: 0, ...}}`',
         edits=[('{conv: {out: 8, kernel: 3', '{conv: {out: 0, kernel: 3')],
         expected=(
             "spec.yaml:32:22: rows[0] (conv1).layers[0].conv.out: expected a whole number from 1 to 100,000 (archcheck's limit), found 0",
         )),
    Case('zero-stride', 'non-positive size: zero stride',
         '`stride: 0`',
         edits=[('kernel: 3, stride: 2', 'kernel: 3, stride: 0')],
         expected=(
             'spec.yaml:32:44: rows[0] (conv1).layers[0].conv.stride: expected whole numbers from 1 to 1,024, found 0',
         )),
    Case('absurd-channels', "absurd size: above archcheck's channel limit",
         '`{conv: {out: 1000000, ...}}`',
         edits=[('{conv: {out: 8, kernel: 3', '{conv: {out: 1000000, kernel: 3')],
         expected=(
             "spec.yaml:32:22: rows[0] (conv1).layers[0].conv.out: expected a whole number from 1 to 100,000 (archcheck's limit), found 1000000",
         )),
    Case('absurd-input', 'absurd size: input',
         '`input: [3, 100000, 32]`',
         edits=[('input: [3, 32, 32]', 'input: [3, 100000, 32]')],
         expected=(
             'spec.yaml:14:8: input: expected channels 1..100,000 and sizes 1..16,384, found [3, 100000, 32]',
         )),
    Case('huge-number', 'absurd size: a 31-digit number',
         '`num_classes: 1000000000000000000000000000000`',
         edits=[('num_classes: 10,', 'num_classes: ' + '1' + '0' * 30 + ',')],
         expected=(
             "spec.yaml:15:24: options.num_classes: expected a value from 0 to 100,000 (archcheck's limit), found a 31-digit number",
         )),
    Case('cell-count', 'unparseable printed cell: a count',
         '`2.7Q` in the ops column',
         edits=[('55K]', '2.7Q]')],
         expected=(
             "spec.yaml:30:53: rows[0] (conv1).paper[ops]: expected a count such as 2.7K, 34M or 13.6·10^6, found '2.7Q'",
         )),
    Case('cell-power', 'absurd size: a printed power of ten',
         '`1·10^10000000` in the ops column',
         edits=[('55K]', '1·10^10000000]')],
         expected=(
             "spec.yaml:30:53: rows[0] (conv1).paper[ops]: expected a power of ten up to 10^100, found '1·10^10000000'",
         )),
    Case('cell-size', 'unparseable printed cell: a size',
         '`112x112x` in the output size column',
         edits=[('16×16×8', '112x112x')],
         expected=(
             "spec.yaml:30:33: rows[0] (conv1).paper[output size]: expected a size H×W×C such as 112×112×64, H×W such as 56×56, or C, found '112x112x'",
         )),
    Case('cell-layer', 'unparseable printed cell: a layer (conv3-64, FC-4096)',
         'a `layer` column with `FC-1O` (a letter O)',
         edits=[('{name: type, kind: label}', '{name: type, kind: layer}'), ('[convolution,', '[conv3-8,'),
                ('[mixed,', '[conv1-8,'), ('[avg pool,', '[avgpool,'), ('[linear,', '[FC-1O,')],
         expected=(
             "spec.yaml:42:13: rows[3] (fc).paper[type]: expected a layer such as conv3-64, FC-4096, maxpool, LRN or soft-max, found 'FC-1O'",
         )),
    Case('cell-block', 'unparseable printed cell: a block ([3×3, 64] ×2)',
         'a `block` column with an unclosed bracket',
         edits=[('{name: patch size/stride, kind: patch}', '{name: patch size/stride, kind: block}'),
                ('3×3/2', '"3×3, 8, stride 2"'), ('[avg pool, 16×16,', '[avg pool, "[16×16 avg pool, stride 16",')],
         expected=(
             "spec.yaml:38:23: rows[2] (pool).paper[patch size/stride]: expected a block such as '[3×3, 64<br>3×3, 64] ×2', '7×7, 64, stride 2' or '3×3 max pool, stride 2', found '[16×16 avg pool, stride 16' (unbalanced brackets)",
         )),
    Case('cell-block-repeat', 'absurd printed cell: a block repeated 0 times',
         '`[3×3, 8] ×0` in a `block` column',
         edits=[('{name: patch size/stride, kind: patch}', '{name: patch size/stride, kind: block}'),
                ('3×3/2', '"[3×3, 8] ×0"'), ('[avg pool, 16×16,', '[avg pool, 16×16 avg pool,')],
         expected=(
             "spec.yaml:30:26: rows[0] (conv1).paper[patch size/stride]: expected a repeat count of at least 1 after the bracket, found '[3×3, 8] ×0'",
         )),
    Case('cell-filter-shape', 'unparseable printed cell: a filter shape (3 × 3 × 32 dw)',
         '`Pool 16 × 16 × 24` in a `filter_shape` column',
         edits=[('{name: patch size/stride, kind: patch}', '{name: patch size/stride, kind: filter_shape}'),
                ('3×3/2', '3 × 3 × 3 × 8'), ('[avg pool, 16×16,', '[avg pool, Pool 16 × 16 × 24,')],
         expected=(
             "spec.yaml:38:23: rows[2] (pool).paper[patch size/stride]: expected a filter shape such as 3 × 3 × 3 × 32, 3 × 3 × 32 dw, Pool 7 × 7 or 1024 × 1000, found 'Pool 16 × 16 × 24'",
         )),
    Case('cell-type-stride', 'unparseable printed cell: a type and stride (Conv dw / s2)',
         '`Avg Pool / 16` (no `s`) in a `type_stride` column',
         edits=[('{name: patch size/stride, kind: patch}', '{name: patch size/stride, kind: type_stride}'),
                ('3×3/2', 'Conv / s2'), ('[avg pool, 16×16,', '[avg pool, Avg Pool / 16,')],
         expected=(
             "spec.yaml:38:23: rows[2] (pool).paper[patch size/stride]: expected a type and stride such as Conv / s2, Conv dw / s1, Avg Pool / s1, FC / s1 or s2, found 'Avg Pool / 16'",
         )),
    Case('applies-to-undefined', 'a column limited to builds of an undefined option',
         '`applies_to: {cfg: A}` on a column',
         edits=[('{name: "#1×1", kind: filters, tag: 1x1}', '{name: "#1×1", kind: filters, tag: 1x1, applies_to: {cfg: A}}')],
         expected=(
             "spec.yaml:11:63: columns[3].applies_to: unknown option 'cfg'; expected one of: batch_norm, conv_bias, num_classes",
         )),
    Case('cell-without-printed', 'a printed cell given as a mapping without its text',
         '`{applies_to: {num_classes: 10}}` as a cell',
         edits=[('"8", 1.2K', '{applies_to: {num_classes: 10}}, 1.2K')],
         expected=(
             'spec.yaml:34:34: rows[1] (mixed_1).paper[#1×1].printed: missing required field (the cell as printed)',
         )),
    Case('depthwise-not-depth', '`count_depthwise` on a claim that is not about depth',
         'a parameter claim with `count_depthwise: true`',
         edits=[('      - {linear: {out: num_classes}}\n', '      - {linear: {out: num_classes}}\nclaims:\n'
                 '  - {id: c, text: t, quantity: params, value: "1", count_depthwise: true}\n')],
         expected=(
             "spec.yaml:47:69: claims[0].count_depthwise: only a depth claim says whether depthwise convs count; this claim's quantity is 'params'",
         )),
    Case('sum-with-expansion', 'a sum with the expansion of merge: residual',
         '`merge: sum` with `expansion:`',
         edits=[('merge: concat', 'merge: sum\n    expansion: {out: 8, kernel: 1}')],
         expected=(
             'spec.yaml:21:16: templates.mixed.expansion: only merge: residual has expansion',
         )),
    Case('sum-shapes', 'chain that cannot be built: a sum of branches of different shapes',
         '`merge: sum` of an 8- and a 16-channel branch',
         edits=[('merge: concat', 'merge: sum')],
         expected=(
             "spec.yaml:25:9: rows (mixed_1) branch 3x3: expected the other branches' output 8×16×16, found 16×16×16; the branches of a sum must have equal shapes",
         )),
    Case('undefined-template', 'reference to an undefined template',
         '`template: mixd`',
         edits=[('template: mixed', 'template: mixd')],
         expected=(
             "spec.yaml:35:15: rows[1] (mixed_1).template: undefined template 'mixd' (did you mean 'mixed'?)",
         )),
    Case('undefined-reference', 'reference to an undefined option or parameter',
         '`{linear: {out: num_class}}`',
         edits=[('{linear: {out: num_classes}}', '{linear: {out: num_class}}')],
         expected=(
             "spec.yaml:45:24: rows[3] (fc).layers[1].linear.out: undefined reference 'num_class' (did you mean 'num_classes'?); expected a number or one of: batch_norm, conv_bias, in_channels, num_classes",
         )),
    Case('undefined-row', 'reference to an undefined row',
         'an erratum with `row: conv2`',
         edits=[('      - {linear: {out: num_classes}}\n', '      - {linear: {out: num_classes}}\nerrata:\n  - {id: e1, row: conv2, field: params, printed: "216", expected: 216, arithmetic: "3*8*9 = 216", explanation: x, source: y}\n')],
         expected=(
             "spec.yaml:47:19: errata[0].row: undefined row 'conv2' (did you mean 'conv1'?)",
         )),
    Case('arithmetic', 'erratum arithmetic that does not hold',
         '`arithmetic: "3*8*9 = 215"`',
         edits=[('      - {linear: {out: num_classes}}\n', '      - {linear: {out: num_classes}}\nerrata:\n  - {id: e1, '
                 'row: conv1, field: params, printed: "216", expected: 215, arithmetic: "3*8*9 = 215", explanation: x, '
                 'source: y}\n')],
         expected=(
             'spec.yaml:47:84: errata[0].arithmetic: the arithmetic does not hold: 3*8*9 gives 216, not 215',
         )),
    Case('value-not-whole', 'arithmetic in a structural value: not a whole number where one is needed',
         '`{conv: {out: "10 * 0.75", ...}}`',
         edits=[('{conv: {out: 8, kernel: 3', '{conv: {out: "10 * 0.75", kernel: 3')],
         expected=(
             "spec.yaml:32:9: rows (conv1).conv.out: expected a whole number, found '10 * 0.75' = 7.5; say how to round it: floor(...), ceil(...) or round(...)",
         )),
    Case('value-undefined-name', 'arithmetic in a structural value: an undefined name',
         '`{linear: {out: "2 * num_class"}}`',
         edits=[('{linear: {out: num_classes}}', '{linear: {out: "2 * num_class"}}')],
         expected=(
             "spec.yaml:45:24: rows[3] (fc).layers[1].linear.out: undefined name 'num_class' in '2 * num_class' (did you mean 'num_classes'?); expected numbers or names of: batch_norm, conv_bias, in_channels, num_classes",
         )),
    Case('value-syntax', 'arithmetic in a structural value: not arithmetic',
         '`{linear: {out: "2 *"}}`',
         edits=[('{linear: {out: num_classes}}', '{linear: {out: "2 *"}}')],
         expected=(
             "spec.yaml:45:24: rows[3] (fc).layers[1].linear.out: cannot read '2 *' as arithmetic (numbers, + - * / × ·, parentheses)",
         )),
    Case('value-division-by-zero', 'arithmetic in a structural value: division by zero',
         '`{linear: {out: "num_classes / 0"}}`',
         edits=[('{linear: {out: num_classes}}', '{linear: {out: "num_classes / 0"}}')],
         expected=(
             "spec.yaml:45:9: rows (fc).linear.out: division by zero in 'num_classes / 0'",
         )),
    Case('input-undefined-option', 'input size naming an undefined option',
         '`input: [3, res, res]` with no option `res`',
         edits=[('input: [3, 32, 32]', 'input: [3, res, res]')],
         expected=(
             "spec.yaml:14:8: input: undefined reference 'res'; expected a number or one of: batch_norm, conv_bias, num_classes",
         )),
    Case('cyclic-template', 'cyclic template reference',
         'template `mixed` using itself',
         edits=[('          - {conv: {out: n3x3, kernel: 3, padding: same}}', '          - {conv: {out: n3x3, kernel: 3, padding: same}}\n          - {use: {template: mixed, args: {n1x1: 1, n3x3: 1}}}')],
         expected=(
             'spec.yaml:18:5: templates.mixed: expected templates that do not use themselves, found the cycle mixed -> mixed',
         )),
    Case('too-many-layers', 'template expansion over the layer limit, counted before building',
         'templates t1..t9 each using the one below 4 times (4^9 = 262,144 layers)',
         text=_chain_spec(10, 4),
         expected=(
             "spec.yaml:18:5: rows (r): expected a spec that builds at most 250,000 layers (archcheck's limit, counted before building), found 262,144; this row builds 262,144 of them, through the template chain t9 (262,144 layers) -> t8 (65,536) -> t7 (16,384) -> t6 (4,096) -> t5 (1,024) -> t4 (256) -> t3 (64) -> t2 (16) -> t1 (4) -> t0 (1)",
         )),
    Case('repeats-over-limit', 'repeat counts over the layer limit, counted before building',
         '`repeat: n` on two rows, `n: 100000` (100,000 + 100,000 × 2 layers)',
         edits=[('options: {num_classes: 10,', 'options: {n: 100000, num_classes: 10,'),
                ('  - name: conv1\n', '  - name: conv1\n    repeat: n\n'),
                ('  - name: mixed_1\n', '  - name: mixed_1\n    repeat: n\n')],
         expected=(
             "spec.yaml:34:5: rows (mixed_1): expected a spec that builds at most 250,000 layers (archcheck's limit, counted before building), found 300,003; this row builds 100,000 × 2 of them, through the template mixed (2 layers)",
         )),
    Case('use-too-deep', '`use` chain deeper than the limit',
         '17 templates, each using the one below once',
         text=_chain_spec(17, 1),
         expected=(
             "spec.yaml:23:8: templates.t16: expected `use` chains at most 16 templates deep (archcheck's limit), found 17: t16 -> t15 -> t14 -> t13 -> t12 -> t11 -> t10 -> t9 -> ... -> t0",
         )),
    Case('repeat-not-whole', 'a repeat count that is not a whole number',
         '`repeat: 2.5`',
         edits=[('  - name: mixed_1\n', '  - name: mixed_1\n    repeat: 2.5\n')],
         expected=(
             'spec.yaml:34:13: rows[1] (mixed_1).repeat: expected a repeat count from 1 to 250,000, found a number (2.5)',
         )),
    Case('repeat-computed', 'a repeat count from arithmetic that is not whole',
         '`repeat: "num_classes / 4"` (10 / 4)',
         edits=[('  - name: mixed_1\n', '  - name: mixed_1\n    repeat: "num_classes / 4"\n')],
         expected=(
             "spec.yaml:33:5: rows (mixed_1).repeat: expected a whole number, found 'num_classes / 4' = 2.5; say how to round it: floor(...), ceil(...) or round(...)",
         )),
    Case('duplicate-row', 'duplicate row name',
         'two rows named `conv1`',
         edits=[('  - name: pool\n', '  - name: conv1\n')],
         expected=(
             "spec.yaml:37:11: rows[2] (conv1).name: duplicate row name 'conv1' (first at line 29)",
         )),
    Case('duplicate-key', 'duplicate key',
         '`kernel` twice in one layer',
         edits=[('{pool: {type: avg, kernel: 16}}', '{pool: {type: avg, kernel: 16, kernel: 8}}')],
         expected=(
             'spec.yaml:40:40: rows[2].layers[0].pool.kernel: duplicate key (first at line 40); expected each key once per mapping',
         )),
    Case('kernel-too-large', 'chain that cannot be built: kernel larger than its input',
         '`{pool: {type: avg, kernel: 32}}` on a 16×16 input',
         edits=[('{pool: {type: avg, kernel: 16}}', '{pool: {type: avg, kernel: 32}}')],
         expected=(
             'spec.yaml:40:9: rows (pool): pool: the input 24×16×16 is too small for this layer: expected an output of at least 1×1, found 0×0',
         )),
    Case('branch-grids', 'chain that cannot be built: branches of different sizes',
         'the 3×3 branch without `padding: same`',
         edits=[('{conv: {out: n3x3, kernel: 3, padding: same}}', '{conv: {out: n3x3, kernel: 3}}')],
         expected=(
             "spec.yaml:25:9: rows (mixed_1) branch 3x3: expected the other branches' 16×16 grid, found 16×14×14; branches of different sizes cannot be concatenated",
         )),
    Case('linear-on-grid', 'chain that cannot be built: linear on a C×H×W input',
         'the flatten layer removed',
         edits=[('      - {flatten: {}}\n', '')],
         expected=(
             'spec.yaml:44:9: rows (fc): linear: expected a flat input for a linear layer (add a flatten layer), found 24×1×1',
         )),
    Case('several-branches', 'chain that cannot be built: every broken branch reported',
         '`kernel: 17` in both branches',
         edits=[('{conv: {out: n1x1, kernel: 1}', '{conv: {out: n1x1, kernel: 17}'), ('{conv: {out: n3x3, kernel: 3, padding: same}}', '{conv: {out: n3x3, kernel: 17}}')],
         expected=(
             'spec.yaml:24:13: rows (mixed_1) branch 1x1: conv: the input 8×16×16 is too small for this layer: expected an output of at least 1×1, found 0×0',
             'spec.yaml:27:13: rows (mixed_1) branch 3x3: conv: the input 8×16×16 is too small for this layer: expected an output of at least 1×1, found 0×0',
         )),
    Case('template-arg-list', 'wrong type reaching the builder: a template argument',
         '`args: {n1x1: [8, 8], n3x3: 16.5}`',
         edits=[('args: {n1x1: 8, n3x3: 16}', 'args: {n1x1: [8, 8], n3x3: 16.5}')],
         expected=(
             'spec.yaml:24:13: rows (mixed_1) branch 1x1: conv.out: expected a whole number, found a list',
             'spec.yaml:27:13: rows (mixed_1) branch 3x3: conv.out: expected a whole number, found a number (16.5)',
         )),
    Case('when-undefined', '`when` on an undefined name inside a template',
         '`when: n5x5` on a branch',
         edits=[('      - name: 3x3\n', '      - name: 3x3\n        when: n5x5\n')],
         expected=(
             "spec.yaml:26:15: templates.mixed.branches[1].when: unknown option 'n5x5'; expected one of: batch_norm, conv_bias, in_channels, n1x1, n3x3, num_classes",
         )),
    Case('custom-tag', 'untrusted YAML: a custom tag',
         '`num_classes: !!python/object/apply:os.system [ls]`',
         edits=[('num_classes: 10,', 'num_classes: !!python/object/apply:os.system [ls],')],
         expected=(
             "spec.yaml:15:24: options.num_classes: expected plain YAML data, found the tag 'tag:yaml.org,2002:python/object/apply:os.system' (tags are not allowed in a spec)",
         )),
    Case('alias-bomb', 'untrusted YAML: aliases (a size bomb)',
         '`lol: &a [x, ...]` and `lol2: [*a, *a, ...]`',
         edits=[('archcheck: 1\n', 'archcheck: 1\nlol: &a [x, x, x, x, x, x, x, x, x]\nlol2: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n')],
         expected=(
             'spec.yaml:5:6: expected plain YAML data, found the anchor &a; aliases and anchors are not allowed in a spec',
             'spec.yaml:6:8: expected plain YAML data, found the alias *a (used 9 times); aliases and anchors are not allowed in a spec',
         )),
    Case('deep-nesting', 'untrusted YAML: nesting 100 deep',
         '`[[[[...]]]]` 100 deep',
         edits=[('archcheck: 1\n', 'archcheck: 1\nextra: ' + '[' * 100 + ']' * 100 + '\n')],
         expected=(
             'spec.yaml:5:71: expected YAML nested at most 64 levels deep, found deeper nesting',
         )),
    Case('unicode-name', 'unicode garbage in a name',
         '`name: pööl☃`',
         edits=[('  - name: pool\n', '  - name: pööl☃\n')],
         expected=(
             "spec.yaml:37:11: rows[2] (pööl☃).name: expected an identifier (letters, digits, _: it names a module), found text ('pööl☃')",
         )),
    Case('several', 'several problems, all reported in one run',
         'four of the edits above at once',
         edits=[('figure: Figure 1', 'figrue: Figure 1'), ('{conv: {out: 8, kernel: 3', '{conv: {out: -8, kernel: 3'), ('55K]', '2.7Q]'), ('template: mixed', 'template: mixd')],
         expected=(
             "spec.yaml:18:13: templates.mixed.figrue: unknown key (did you mean 'figure'?); expected one of: merge, params, branches, layers, order, expansion, scale, activation, class_name, figure",
             "spec.yaml:30:53: rows[0] (conv1).paper[ops]: expected a count such as 2.7K, 34M or 13.6·10^6, found '2.7Q'",
             "spec.yaml:32:22: rows[0] (conv1).layers[0].conv.out: expected a whole number from 1 to 100,000 (archcheck's limit), found -8",
             "spec.yaml:35:15: rows[1] (mixed_1).template: undefined template 'mixd' (did you mean 'mixed'?)",
         )),
    Case('tag-bool', 'YAML tag of the wrong type: !!bool',
         '`num_classes: !!bool maybe`',
         edits=[('num_classes: 10,', 'num_classes: !!bool maybe,')],
         expected=(
             "spec.yaml:15:24: options.num_classes: expected true or false after the tag !!bool, found 'maybe'",
         )),
    Case('tag-int', 'YAML tag of the wrong type: !!int',
         '`num_classes: !!int abc`',
         edits=[('num_classes: 10,', 'num_classes: !!int abc,')],
         expected=(
             "spec.yaml:15:24: options.num_classes: expected a whole number after the tag !!int, found 'abc'",
         )),
    Case('tag-null', 'YAML tag of the wrong type: !!null',
         '`num_classes: !!null maybe`',
         edits=[('num_classes: 10,', 'num_classes: !!null maybe,')],
         expected=(
             "spec.yaml:15:24: options.num_classes: expected null or ~ after the tag !!null, found 'maybe'",
         )),
    Case('nan-unused-option', 'a value JSON cannot hold: NaN, in an option nothing uses',
         '`options: {unused: .nan, ...}`',
         edits=[('options: {num_classes: 10,', 'options: {unused: .nan, num_classes: 10,')],
         expected=(
             "spec.yaml:15:19: options.unused: expected a finite number, found '.nan'",
         )),
    Case('infinity', 'a value JSON cannot hold: infinity',
         '`num_classes: .inf`',
         edits=[('num_classes: 10,', 'num_classes: .inf,')],
         expected=(
             "spec.yaml:15:24: options.num_classes: expected a finite number, found '.inf'",
         )),
    Case('float-for-k', 'wrong type: a float where a whole number is expected (a column\'s K)',
         '`k: 1024.0`',
         edits=[('k: 1000}', 'k: 1024.0}')],
         expected=(
             'spec.yaml:12:54: columns[4].k: expected 1000 or 1024 (a whole number), found a number (1024.0)',
         )),
    Case('float-for-version', 'wrong type: a float for the language version',
         '`archcheck: 1.0`',
         edits=[('archcheck: 1\n', 'archcheck: 1.0\n')],
         expected=(
             'spec.yaml:4:12: archcheck: expected spec language version 1, found a number (1.0)',
         )),
    Case('erratum-infinity', 'erratum arithmetic with infinity (and so NaN)',
         '`arithmetic: "1e999 - 1e999 = 5"`',
         edits=[('      - {linear: {out: num_classes}}\n', '      - {linear: {out: num_classes}}\nerrata:\n  - {id: e1, '
                 'row: conv1, field: params, printed: "216", expected: 5, arithmetic: "1e999 - 1e999 = 5", explanation: x, '
                 'source: y}\n')],
         expected=(
             "spec.yaml:47:82: errata[0].arithmetic: expected finite numbers (below 1e308), found '1e999 - 1e999'",
         )),
    Case('too-large', 'spec file over the size limit, in bytes',
         '2,000,001 bytes or more (here 1,000,000 two-byte characters in a comment)',
         text=TINY + '# ' + 'é' * 1_000_000 + '\n',
         expected=(
             'spec.yaml: file is 2,001,554 bytes; specs are limited to 2,000,000 bytes',
         )),
    Case('set-unknown', 'unknown --set key (issue 2)',
         '`--set num_clases=5`',
         args=['--set', 'num_clases=5'],
         expected=(
             "--set: num_clases: unknown option 'num_clases' (did you mean 'num_classes'?); options: num_classes, batch_norm, conv_bias",
         )),
    Case('set-limit', "--set above archcheck's channel limit",
         '`--set num_classes=100001`',
         args=['--set', 'num_classes=100001'],
         expected=(
             "--set: num_classes: expected a value from 0 to 100,000 (archcheck's limit), found 100001",
         )),
    Case('set-row-arg', '--set of an argument the row does not have',
         '`--set mixed_1.n5x5=4`',
         args=['--set', 'mixed_1.n5x5=4'],
         expected=(
             "--set: mixed_1.n5x5: row 'mixed_1' has no argument 'n5x5'; its arguments: n1x1, n3x3",
         )),
    Case('set-list', '--set of a list where a channel count is expected',
         '`--set mixed_1.n1x1=[1, 2]`',
         args=['--set', 'mixed_1.n1x1=[1, 2]'],
         expected=(
             'spec.yaml:24:13: rows (mixed_1) branch 1x1: conv.out: expected a whole number, found a list',
         )),
    Case('set-date-for-boolean', '--set of a date for a boolean option',
         '`--set batch_norm=2024-01-01`',
         args=['--set', 'batch_norm=2024-01-01'],
         expected=(
             "--set: batch_norm: expected true or false (a boolean option), found text ('2024-01-01')",
         )),
    Case('set-nan-unused', '--set of a value JSON cannot hold (NaN), to an option nothing uses',
         '`--set unused=.nan`',
         edits=[('options: {num_classes: 10,', 'options: {unused: 1, num_classes: 10,')],
         args=['--set', 'unused=.nan'],
         expected=(
             "--set: unused: expected a finite number, found '.nan'",
         )),
    Case('set-4301-digits', '--set of a 4,301-digit integer',
         '`--set num_classes=111...1` (4,301 digits)',
         args=['--set', 'num_classes=' + '1' * 4301],
         expected=(
             '--set: num_classes: expected a number archcheck can read, found 4,301 digits',
         )),
    Case('set-tag', '--set with a YAML tag of the wrong type',
         '`--set batch_norm=!!bool maybe`',
         args=['--set', 'batch_norm=!!bool maybe'],
         expected=(
             "--set: batch_norm: expected true or false after the tag !!bool, found 'maybe'",
         )),
    Case('unknown-variant', 'unknown --variant',
         '`--variant wide`',
         args=['--variant', 'wide'],
         expected=(
             "spec.yaml: --variant: unknown variant 'wide'; this spec's variants: none declared",
         )),
]


def run_case(case: Case, tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)   # messages name the spec as the user typed it: spec.yaml
    if case.write:
        (tmp_path / case.path).write_bytes(case.spec_bytes())
    return cli("verify", case.path, "--output", "report.md", *case.args)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_gets_its_exact_message_and_exit_2(case, tmp_path, monkeypatch, cli):
    code, out, err = run_case(case, tmp_path, monkeypatch, cli)
    assert code == 2
    assert err.splitlines() == [f"archcheck: error: {line}" for line in case.expected]
    assert out == "" and "Traceback" not in err
    assert not (tmp_path / "report.md").exists()          # nothing written
    for line in case.expected:                            # the shape: where, then (field and) message
        assert re.match(r"(spec\.yaml(:\d+:\d+)?|--set): \S", line), line


def test_the_fixture_is_valid(tmp_path, monkeypatch, cli):
    """Without the edits the fixture verifies, so each case's error is the edit's doing."""
    code, out, err = run_case(Case("valid", "", ""), tmp_path, monkeypatch, cli)
    assert (code, err) == (0, "")
    assert "PASS" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_every_case_id_is_unique():
    assert len({c.id for c in CASES}) == len(CASES)


def _cell(text: str) -> str:
    text = text.replace("|", "\\|")
    return f"``{text}``" if "`" in text else f"`{text}`"


def render_table() -> str:
    lines = [
        "# Errors archcheck reports",
        "",
        "Exit codes: **0** verified, **1** mismatches found, **2** bad input or usage (the cases below), "
        "**3** internal error (a bug: please report it).",
        "",
        "Every problem in a spec is reported in one run, one line each in the order of the file, as "
        "`archcheck: error: file:line:column: field: what was expected, what was found`; with exit 2 no "
        "report is written. Each row below is a test in `tests/test_errors.py` (its id in the first "
        "column) that breaks one thing in `tests/fixtures/tiny.yaml` and asserts the exact message, "
        "exit 2, no traceback and no file written. This file is rendered from those tests: "
        "`pytest tests/test_errors.py --update-golden`.",
        "",
        "Limits, refused with a message rather than attempted: at most "
        f"{MAX_CHANNELS:,} channels in any layer's or block's output (the width-32 GoogLeNet has 12,288 "
        f"in one layer and 32,768 after inception (5b)), {MAX_SPATIAL:,} pixels of height or width, "
        f"kernels, strides and dilations of {MAX_KERNEL:,}, {MAX_FEATURES:,} flattened features, "
        f"{MAX_ROWS:,} rows, {MAX_LAYERS:,} built layers (counted from the spec before anything is built; "
        f"bench/bench.py's largest stack of 1,600 Inception modules counts 11,289), `use` chains {MAX_USE_DEPTH} templates deep, "
        f"printed cells of {cells.MAX_CELL} characters and powers of ten up to 10^100, "
        f"erratum arithmetic of {arith.MAX_EXPRESSION:,} characters, spec files of {yamlload.MAX_SPEC_BYTES:,} "
        f"bytes nested {yamlload.MAX_DEPTH} deep. The constants are in archcheck/spec/limits.py, cells.py, "
        "arith.py and yamlload.py.",
        "",
        "| test | error | input | message (after `archcheck: error: `) |",
        "|---|---|---|---|",
    ]
    for c in CASES:
        message = "<br>".join(_cell(line) for line in c.expected)
        lines.append(f"| {c.id} | {c.title} | {c.shows.replace('|', chr(92) + '|')} | {message} |")
    from .test_files_and_output import USAGE_CASES

    lines += [
        "",
        "## Files, output and options",
        "",
        "Nothing the user did not ask for is written, and nothing is lost. `--output` to something that is not "
        "a regular file (a device such as /dev/null, a FIFO) is written in place, never replaced; a symlink "
        "is followed and its target written atomically. Options that do not go together (`--input` without "
        "`--model`, `summary` of a spec and a model) are refused before anything runs. Each row is a case of "
        "`test_usage_case` in `tests/test_files_and_output.py`, which asserts the exact message, exit 2 and "
        "that no file changed.",
        "",
        "| test | error | input | message (after `archcheck: error: `) |",
        "|---|---|---|---|",
    ]
    for c in USAGE_CASES:
        lines.append(f"| {c.id} | {c.title} | {c.shows.replace('|', chr(92) + '|')} | {_cell(c.message)} |")
    from .test_exit_codes import MODEL_CASES

    lines += [
        "",
        "## Models",
        "",
        "Whatever a `--model` does wrong when it is imported, constructed or run is the model's doing: one line "
        "and exit 2, never an internal error, and a real Ctrl-C still says the run was interrupted. Each row is "
        "a case of `test_model_failures` in `tests/test_exit_codes.py` (the REF is `net.py:Net`).",
        "",
        "| test | error | message (after `archcheck: error: --model: net.py:Net: `) |",
        "|---|---|---|",
    ]
    for c in MODEL_CASES:
        lines.append(f"| {c.id} | {c.title} | {_cell(c.message.format(path='net.py'))} |")
    return "\n".join(lines) + "\n"


def test_errors_table_is_rendered_from_these_cases(update_golden):
    check_golden(TABLE, render_table(), update_golden)


# Bad input the fuzz test (test_spec_fuzz.py) and the exploration before it found to crash archcheck
# (exit 3: ValueError, KeyError, TypeError, OverflowError, a RuntimeError from the tracer) or to pass
# unnoticed (a 64-billion-channel default), now SpecErrors at their line; global-pool-after-flatten was
# refused only by the tracer, without a line. Checked through the library API (load_spec_text, verify)
# so that none can come back as another exception: name -> (edits of tiny.yaml, the whole message).
FOUND_BY_FUZZING = {
    "dropout-rate-from-an-option": (
        [("options: {num_classes: 10,", "options: {rate: 3, num_classes: 10,"),
         ("      - {flatten: {}}\n", "      - {flatten: {}}\n      - {dropout: {p: rate}}\n")],
        "t.yaml:45:9: rows (fc): dropout.p: expected a rate from 0 to below 1, found 3"),
    "branch-named-2.5": (
        [("      - name: 3x3\n", "      - name: 2.5\n")],
        "t.yaml:25:15: templates.mixed.branches[1].name: expected letters, digits or _, found text ('2.5')"),
    "one-branch-name-twice": (
        [("      - name: 3x3\n", "      - name: 1x1\n")],
        "t.yaml:25:15: templates.mixed.branches[1].name: duplicate branch name '1x1'; expected each once, or "
        "alternatives each under its own when"),
    "alternative-branches-both-built": (
        [("      - name: 1x1\n", "      - name: 1x1\n        when: batch_norm\n"),
         ("      - name: 3x3\n", "      - name: 1x1\n        when: conv_bias\n"), ("batch_norm: false", "batch_norm: true")],
        "t.yaml:26:9: rows (mixed_1) branch 1x1: expected one branch named '1x1' with these options, found two"),
    "pool-type-a-mapping": (
        [("{type: avg, kernel: 16}", "{type: {a: 1}, kernel: 16}")],
        "t.yaml:40:23: rows[2] (pool).layers[0].pool.type: expected max or avg, found a mapping"),
    "global-pool-after-flatten": (
        [("      - {flatten: {}}\n", "      - {flatten: {}}\n      - {global_pool: {type: avg}}\n")],
        "t.yaml:45:9: rows (fc): global_pool: expected a C×H×W input, found 24 (a flat input has no grid)"),
    "kernel-from-a-text-option": (
        [("options: {num_classes: 10,", "options: {k: separable, num_classes: 10,"),
         ("{conv: {out: n1x1, kernel: 1}", "{conv: {out: n1x1, kernel: k}")],
        "t.yaml:24:13: rows (mixed_1) branch 1x1: conv.kernel: expected a whole number or [h, w], found text ('separable')"),
    "400-digit-argument": (
        [("args: {n1x1: 8, n3x3: 16}", "args: {n1x1: 8, n3x3: " + "9" * 400 + "}")],
        "t.yaml:36:27: rows[1] (mixed_1).args.n3x3: expected a value from 0 to 100,000 (archcheck's limit), "
        "found a 400-digit number"),
    "row-named-forward": (
        [("  - name: pool\n", "  - name: forward\n")],
        "t.yaml:37:5: rows (forward).name: expected a name that is not an attribute of torch's nn.Module, found one "
        "that is"),
    "64-billion-channel-default": (
        [("params: [n1x1, n3x3]", "params: {n1x1: 64000000000, n3x3: null}")],
        "t.yaml:19:20: templates.mixed.params.n1x1: expected a value from 0 to 100,000 (archcheck's limit), found "
        "64000000000"),
}


@pytest.mark.parametrize("name", FOUND_BY_FUZZING)
def test_what_the_fuzzer_found_is_a_spec_error(name):
    from archcheck import verify
    from archcheck.errors import SpecError
    from archcheck.spec import load_spec_text

    edits, message = FOUND_BY_FUZZING[name]
    text = TINY
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    with pytest.raises(SpecError) as err:
        verify(load_spec_text(text, "t.yaml"))
    assert str(err.value) == message
