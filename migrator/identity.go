package migrator

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Identity names the database a repo's config points at, without any
// credential: "sqlite <absolute path>" or "postgres <host>:<port>/<database>"
// (the URL's parts over the keyword options, Ecto's defaults localhost and
// 5432). RepoIdentityElixir computes the same string inside the project's
// VM from repo.config(): the two must stay in step.
func (c RepoConfig) Identity() string {
	switch {
	case c.IsSQLite():
		return "sqlite " + c.Database
	case c.IsPostgres():
		host, port, db := c.Hostname, c.Port, c.Database
		if c.URL != "" {
			if u, err := url.Parse(c.URL); err == nil {
				if h := u.Hostname(); h != "" {
					host = h
				}
				if p, err := strconv.Atoi(u.Port()); err == nil {
					port = p
				}
				if d := strings.TrimPrefix(u.Path, "/"); d != "" {
					db = d
				}
			}
		}
		if host == "" {
			host = "localhost"
		}
		if port == 0 {
			port = 5432
		}
		return fmt.Sprintf("postgres %s:%d/%s", host, port, db)
	}
	return "other " + c.Adapter
}

// RepoIdentityElixir is an Elixir anonymous function `fn repo -> identity`
// mirroring RepoConfig.Identity, for code run in the project's VM. A SQLite
// path is expanded exactly as RepoConfigQuery expands it.
const RepoIdentityElixir = `fn repo ->
    config = repo.config()
    adapter = repo.__adapter__()

    blank = fn
      nil -> nil
      "" -> nil
      v -> v
    end

    cond do
      adapter == Ecto.Adapters.SQLite3 ->
        database = config[:database]

        database =
          if is_binary(database) and database != ":memory:" and
               not String.starts_with?(database, "file:") do
            Path.expand(database)
          else
            database
          end

        "sqlite #{database}"

      adapter == Ecto.Adapters.Postgres ->
        {host, port, db} = {blank.(config[:hostname]), config[:port], config[:database]}

        {host, port, db} =
          case blank.(config[:url]) do
            nil ->
              {host, port, db}

            url ->
              u = URI.parse(url)
              path = u.path && String.trim_leading(u.path, "/")
              {blank.(u.host) || host, u.port || port, blank.(path) || db}
          end

        "postgres #{host || "localhost"}:#{port || 5432}/#{db}"

      true ->
        "other #{inspect(adapter)}"
    end
  end`
