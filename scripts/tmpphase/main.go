package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/migrator"
)

func main() {
	dir := os.Args[1]
	folders := []string{"priv/repo/migrations", "priv/resource_snapshots/repo"}
	names := []string{"open", "scan", "sqlite"}
	samples := make([][]time.Duration, len(names))
	for i := 0; i < 30; i++ {
		t := time.Now()
		lap := func(k int) { samples[k] = append(samples[k], time.Since(t)); t = time.Now() }
		r, err := gitops.Open(dir)
		if err != nil { panic(err) }
		lap(0)
		if _, err := r.Scan(folders); err != nil { panic(err) }
		lap(1)
		migrator.SQLiteAppliedVersions(context.Background(), dir+"/blog_dev.db", "")
		lap(2)
	}
	for k, n := range names {
		s := samples[k]
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		fmt.Printf("%-10s %.2f ms\n", n, float64(s[len(s)/2].Microseconds())/1000)
	}
}
