# Programs that run outside the handler get the server span's context:
# a program mod_ext_filter starts for a static file (output and input
# filters, names of the user's choosing), a FastCGI authorizer
# (mod_authnz_fcgi: an authn provider behind mod_auth_basic, an authz
# provider, AuthnzFcgiCheckAuthnProvider), and the CGI scripts a request
# under mod_auth_form reaches through its subrequests and internal
# redirects (the ErrorDocument login page, the login that replays the
# request as a subrequest).  Each request carries a traceparent of a
# trace of its own: what the program received must be the exported
# server span's context (HTTP_TRACEPARENT and the TRACEPARENT carrier),
# and each trace must hold that one server span, none from the
# subrequests and redirects.
use strict;
use warnings;
use Test::More;
use Digest::SHA qw(sha1_base64);
use MIME::Base64 ();
use JSON::PP;
use OTTest;
use OTFcgi;

my $fcgi = OTFcgi->new->start;
my $fp = $fcgi->port;

# The session cookie's name and the form fields are mod_auth_form's
# defaults (httpd_username, httpd_password, httpd_method...).
my $form = <<'CONF';
    AuthType form
    AuthName "ot realm"
    AuthFormProvider file
    AuthUserFile "@DIR@/conf/users"
    Session On
    SessionCookieName otsession path=/
CONF
my $extra = <<"CONF";
ExtFilterDefine EnvDump mode=output cmd="/usr/bin/perl \@DIR\@/conf/envdump.pl"
ExtFilterDefine EnvIn mode=input cmd="/usr/bin/perl \@DIR\@/conf/envin.pl \@DIR\@/run/envin.json"
<Location /dump.txt>
    SetOutputFilter EnvDump
</Location>
<Location /cgi-bin/in.cgi>
    SetInputFilter EnvIn
</Location>

AuthnzFcgiDefineProvider authn FcgiAuthn fcgi://127.0.0.1:$fp/
AuthnzFcgiDefineProvider authz FcgiAuthz fcgi://127.0.0.1:$fp/
Alias /basic/ "\@DIR\@/htdocs/"
Alias /checkauthn/ "\@DIR\@/htdocs/"
<Location /basic/>
    AuthType Basic
    AuthName "ot realm"
    AuthBasicProvider FcgiAuthn
    Require FcgiAuthz
</Location>
<Location /checkauthn/>
    AuthType Basic
    AuthName "ot realm"
    AuthnzFcgiCheckAuthnProvider FcgiAuthn Authoritative On RequireBasicAuth Off UserExpr "%{reqenv:OT_NONE}" DefaultUser guest
    Require valid-user
</Location>

ScriptAlias /private/ "\@DIR\@/cgi-bin/"
ScriptAlias /redirected/ "\@DIR\@/cgi-bin/"
<Location /private/>
$form    Require valid-user
    ErrorDocument 401 /cgi-bin/login.cgi
</Location>
<Location /redirected/>
$form    Require valid-user
    AuthFormLoginRequiredLocation "/cgi-bin/login.cgi"
</Location>
<Location /dologin>
    SetHandler form-login-handler
$form    AuthFormLoginSuccessLocation "/private/env.cgi"
</Location>
CONF

my $h = OTTest->new(extra => $extra, modules => [qw(
    authz_core mime dir alias rewrite ext_filter authnz_fcgi auth_basic authn_core
    authn_file authz_user auth_form session session_cookie request)]);
my $d = $h->dir;
$h->write_file("$d/cgi-bin/login.cgi", OTTest::slurp("$d/cgi-bin/env.cgi"), 0755);
$h->write_file("$d/conf/users", 'alice:{SHA}' . sha1_base64('secret') . "=\n", 0644);
# The output filter: the file's content in, the program's environment out.
$h->write_file("$d/conf/envdump.pl", <<'PL', 0644);
use JSON::PP;
1 while <STDIN>;
print JSON::PP->new->canonical->encode({%ENV}), "\n";
PL
# The input filter: the body through unchanged, the environment to a file.
$h->write_file("$d/conf/envin.pl", <<'PL', 0644);
use JSON::PP;
print while <STDIN>;
open my $fh, '>', "$ARGV[0].tmp" or die $!;
print $fh JSON::PP->new->canonical->encode({%ENV});
close $fh;
rename "$ARGV[0].tmp", $ARGV[0];
PL
$h->write_file("$d/htdocs/dump.txt", "static\n", 0644);
# The input filter's request goes to a CGI, which reads the body: the
# default handler leaves a static file's request body unread over HTTP/2,
# and an input filter then never runs.
$h->write_file("$d/cgi-bin/in.cgi", OTTest::slurp("$d/cgi-bin/env.cgi"), 0755);
$h->start;

my $n = 0;
my %incoming;           # query => the traceparent sent
# A request marked with query q and an incoming traceparent of a trace
# of its own.
sub req {
    my ($method, $path, $q, %o) = @_;
    $n++;
    my $tp = sprintf '00-%032x-%016x-01', 0x51000 + $n, 0xa0 + $n;
    $incoming{$q} = $tp;
    return $h->request($method, "$path?$q", {
        headers => { traceparent => $tp, %{ $o{headers} || {} } },
        content => $o{content}, max_redirect => 0 });
}
sub json { eval { decode_json($_[0] // '') } || {} }
sub trace_of { (split /-/, $_[0])[1] }

# The server span of the request marked with q, waiting for it.
sub span_of {
    my ($q) = @_;
    my $s;
    OTTest::wait_for(10, sub { ($s) = @{ OTTest->by_query($h->read_spans)->{$q} || [] }; $s });
    return $s;
}

# What a program received (its environment) is the span's context: the
# trace the request came with, the server span as the parent.
sub got_context {
    my ($what, $q, $env, @vars) = @_;
    my $s = span_of($q);
    my $tp = $s ? OTTest->traceparent_of($s) : 'no span';
    is($s && $s->{traceId}, trace_of($incoming{$q}), "$what: the span continues the incoming trace");
    is($env->{$_}, $tp, "$what: $_ is the server span's context") for @vars;
}

# --- mod_ext_filter
{
    my $r = req('GET', '/dump.txt', 'q=extout');
    is($r->{status}, 200, 'output filter: 200');
    my $env = json($r->{content});
    ok($env->{DOCUMENT_URI}, 'output filter: the body is the program\'s environment');
    got_context('output filter program', 'q=extout', $env, qw(TRACEPARENT HTTP_TRACEPARENT));

    unlink "$d/run/envin.json";
    $r = req('POST', '/cgi-bin/in.cgi', 'q=extin', content => 'a body',
             headers => { 'Content-Type' => 'text/plain' });
    ok(OTTest::wait_for(10, sub { -e "$d/run/envin.json" }), 'input filter: the program ran');
    is(json($r->{content})->{_BODY_LENGTH}, 6, 'input filter: the body passed through to the CGI');
    got_context('input filter program', 'q=extin', json(OTTest::slurp("$d/run/envin.json")),
                qw(TRACEPARENT HTTP_TRACEPARENT));
}

# --- mod_authnz_fcgi: the authorizer is called before fixups
{
    my $auth = { Authorization => 'Basic ' . MIME::Base64::encode_base64('alice:secret', '') };
    my $r = req('GET', '/basic/index.html', 'q=authz', headers => $auth);
    is($r->{status}, 200, 'authn + authz providers: granted');
    $r = req('GET', '/checkauthn/index.html', 'q=checkauthn');
    is($r->{status}, 200, 'AuthnzFcgiCheckAuthnProvider: granted');
    my @calls = $fcgi->wait_requests(3, 10);
    is(scalar @calls, 3, 'the authorizer was called three times');
    my ($authn, $authz, $check) = @calls;
    is($authn->{FCGI_APACHE_ROLE}, 'AUTHENTICATOR', 'first call: the authn provider');
    is($authn->{REMOTE_PASSWD}, 'secret', 'authn provider: the password');
    got_context('authn provider', 'q=authz', $authn, qw(TRACEPARENT HTTP_TRACEPARENT));
    is($authz->{FCGI_APACHE_ROLE}, 'AUTHORIZER', 'second call: the authz provider');
    got_context('authz provider', 'q=authz', $authz, qw(TRACEPARENT HTTP_TRACEPARENT));
    like($check->{REQUEST_URI}, qr{^/checkauthn/}, 'third call: AuthnzFcgiCheckAuthnProvider');
    got_context('check_authn authorizer', 'q=checkauthn', $check, qw(TRACEPARENT HTTP_TRACEPARENT));
}

# --- mod_auth_form
{
    # no session: 401, and the ErrorDocument (an internal redirect to a
    # CGI) is the login page
    my $r = req('GET', '/private/env.cgi', 'q=f401');
    is($r->{status}, 401, 'auth_form, no session: 401');
    my $env = json($r->{content});
    is($env->{SCRIPT_NAME}, '/cgi-bin/login.cgi', 'auth_form: the ErrorDocument login CGI ran');
    got_context('ErrorDocument login CGI', 'q=f401', $env, qw(TRACEPARENT HTTP_TRACEPARENT));

    # AuthFormLoginRequiredLocation: a redirect to the login page
    $r = req('GET', '/redirected/env.cgi', 'q=f302');
    is($r->{status}, 302, 'AuthFormLoginRequiredLocation: 302');
    is($r->{headers}{location}, '/cgi-bin/login.cgi', '... to the login page');

    # a login through form-login-handler, then a request in the session
    $r = req('POST', '/dologin', 'q=flogin', content => 'httpd_username=alice&httpd_password=secret',
             headers => { 'Content-Type' => 'application/x-www-form-urlencoded' });
    is($r->{status}, 302, 'form-login-handler: 302 on success');
    my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(otsession=[^;]*)/;
    ok($cookie, 'form-login-handler: the session cookie');
    $r = req('GET', '/private/env.cgi', 'q=fsession', headers => { Cookie => $cookie // '' });
    is($r->{status}, 200, 'in the session: 200');
    got_context('CGI in the session', 'q=fsession', json($r->{content}), qw(TRACEPARENT HTTP_TRACEPARENT));

    # the login posted to the page itself: mod_auth_form reads the form
    # through a subrequest, then replays the request as a GET subrequest,
    # which runs the CGI
    $r = req('POST', '/private/env.cgi', 'q=finline', headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
             content => 'httpd_username=alice&httpd_password=secret&httpd_method=GET'
                        . '&httpd_mimetype=application/x-www-form-urlencoded&httpd_body=x%3D1');
    is($r->{status}, 200, 'inline login: 200');
    $env = json($r->{content});
    is($env->{REQUEST_METHOD}, 'GET', 'inline login: the CGI ran in the GET subrequest');
    got_context('CGI of the replayed subrequest', 'q=finline', $env, qw(TRACEPARENT HTTP_TRACEPARENT));

    # a wrong password posted inline: the form read through a subrequest,
    # then the 401 login page
    $r = req('POST', '/private/env.cgi', 'q=fbad', headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
             content => 'httpd_username=alice&httpd_password=wrong');
    is($r->{status}, 401, 'inline login, wrong password: 401');
    got_context('login CGI after a failed inline login', 'q=fbad', json($r->{content}),
                qw(TRACEPARENT HTTP_TRACEPARENT));
}

# One server span per request, each alone in its trace: no span from the
# subrequests and internal redirects.
$h->stop;
my @spans = $h->read_spans;
is(scalar @spans, $n, "$n requests, $n spans");
my %per_trace;
$per_trace{ $_->{traceId} }++ for @spans;
for my $q (sort keys %incoming) {
    is($per_trace{ trace_of($incoming{$q}) }, 1, "$q: one span in its trace");
}
is_deeply([ map { $_->{kind} } @spans ], [ (2) x $n ], 'every span is a server span');

$fcgi->stop;
# the wrong password, and only that
is_deeply([$h->error_log_unexpected(qr{AH01807: user 'alice': authentication failure for "/private/env.cgi": password Mismatch$})],
          [], 'no unexpected error-log lines');
done_testing;
