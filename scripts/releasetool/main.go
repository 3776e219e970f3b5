// Command releasetool is the helper of scripts/release: it packs the built
// binaries into reproducible archives and writes checksums.txt. It is not
// part of regen.
//
//	releasetool pack -version 1.2.3 -mtime EPOCH -bin DIR -readme F -license F -out DIR
//
// DIR holds one folder per platform, named os_arch, with the binary inside
// (regen, or regen.exe on windows).
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "releasetool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || args[0] != "pack" {
		return errors.New("usage: releasetool pack -version V -mtime EPOCH -bin DIR -readme F -license F -out DIR")
	}
	fl := flag.NewFlagSet("pack", flag.ContinueOnError)
	version := fl.String("version", "", "version without the v")
	mtime := fl.Int64("mtime", 0, "entry time, seconds since 1970 (SOURCE_DATE_EPOCH)")
	bin := fl.String("bin", "", "folder of os_arch folders holding the binaries")
	readme := fl.String("readme", "README.md", "README to include")
	license := fl.String("license", "LICENSE", "LICENSE to include")
	out := fl.String("out", "", "output folder")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	if *version == "" || *bin == "" || *out == "" {
		return errors.New("pack needs -version, -bin and -out")
	}
	platforms, err := os.ReadDir(*bin)
	if err != nil {
		return err
	}
	var sums []string
	for _, p := range platforms {
		if !p.IsDir() {
			continue
		}
		exe := "regen"
		if strings.HasPrefix(p.Name(), "windows_") {
			exe = "regen.exe"
		}
		name := fmt.Sprintf("regen_%s_%s.tar.gz", *version, p.Name())
		files := []entry{
			{name: exe, src: filepath.Join(*bin, p.Name(), exe), mode: 0o755},
			{name: "README.md", src: *readme, mode: 0o644},
			{name: "LICENSE", src: *license, mode: 0o644},
		}
		sum, err := writeArchive(filepath.Join(*out, name), files, time.Unix(*mtime, 0))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		sums = append(sums, sum+"  "+name+"\n")
	}
	sort.Slice(sums, func(i, j int) bool { return sums[i][66:] < sums[j][66:] })
	return os.WriteFile(filepath.Join(*out, "checksums.txt"), []byte(strings.Join(sums, "")), 0o644)
}

type entry struct {
	name, src string
	mode      int64
}

// writeArchive writes a tar.gz whose bytes depend only on the files'
// contents, their names and modes and the given time: no owner, no gzip
// name or time. It returns the archive's sha256.
func writeArchive(path string, files []entry, mtime time.Time) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	gz, err := gzip.NewWriterLevel(io.MultiWriter(f, h), gzip.BestCompression)
	if err != nil {
		f.Close()
		return "", err
	}
	tw := tar.NewWriter(gz)
	for _, e := range files {
		if err := addFile(tw, e, mtime); err != nil {
			f.Close()
			return "", err
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func addFile(tw *tar.Writer, e entry, mtime time.Time) error {
	data, err := os.ReadFile(e.src)
	if err != nil {
		return err
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     e.name,
		Mode:     e.mode,
		Size:     int64(len(data)),
		ModTime:  mtime.UTC(),
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = tw.Write(data)
	return err
}
