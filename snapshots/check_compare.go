package snapshots

import (
	"fmt"
	"reflect"
	"sort"
)

// Diff compares two snapshots field by field and lists the differences
// ("attribute title: allow_nil? true → false", "identities differ"), empty
// when they describe the same table. The hash field is skipped: it is an
// inspect of an in-memory term, equal documents may carry different hashes.
// Attributes are matched by source so that an added column reads as one.
func Diff(a, b *Snapshot) []string {
	var out []string
	keys := map[string]bool{}
	for k := range a.Raw {
		keys[k] = true
	}
	for k := range b.Raw {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		if k != "hash" && k != "attributes" {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if !reflect.DeepEqual(a.Raw[k], b.Raw[k]) {
			out = append(out, k+" differs")
		}
	}
	return append(out, diffAttributes(a, b)...)
}

func diffAttributes(a, b *Snapshot) []string {
	var out []string
	rawA, rawB := rawAttributes(a), rawAttributes(b)
	var orderA, orderB []string
	for _, at := range a.Attributes {
		orderA = append(orderA, at.Source)
	}
	for _, at := range b.Attributes {
		orderB = append(orderB, at.Source)
	}
	for _, src := range orderA {
		mb, ok := rawB[src]
		if !ok {
			out = append(out, fmt.Sprintf("attribute %s only in the first", src))
			continue
		}
		ma := rawA[src]
		fields := map[string]bool{}
		for k := range ma {
			fields[k] = true
		}
		for k := range mb {
			fields[k] = true
		}
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !reflect.DeepEqual(ma[k], mb[k]) {
				out = append(out, fmt.Sprintf("attribute %s: %s %v → %v", src, k, show(ma[k]), show(mb[k])))
			}
		}
	}
	for _, src := range orderB {
		if _, ok := rawA[src]; !ok {
			out = append(out, fmt.Sprintf("attribute %s only in the second", src))
		}
	}
	if len(out) == 0 && !reflect.DeepEqual(orderA, orderB) {
		out = append(out, "attribute order differs")
	}
	return out
}

// rawAttributes indexes the attribute objects of a parsed snapshot by source.
func rawAttributes(s *Snapshot) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := s.Raw["attributes"].([]any)
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if src, ok := m["source"].(string); ok {
			out[src] = m
		}
	}
	return out
}

func show(v any) string {
	if v == nil {
		return "(none)"
	}
	return fmt.Sprint(v)
}
