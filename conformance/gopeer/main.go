// Command gopeer is the official OpenTelemetry Go SDK's side of spanlite's
// cross-language conformance tests: an HTTP service and an HTTP client,
// both instrumented with otelhttp and exporting OTLP/HTTP protobuf, so a
// test can check that a trace crossing Rust and Go stays one trace in Jaeger
// with the right parent links.
//
//	gopeer serve --listen 127.0.0.1:0 [--downstream URL] --otlp-endpoint URL [--service go-peer]
//	gopeer call --url URL --otlp-endpoint URL [--service go-client]
//
// serve prints "listening on 127.0.0.1:PORT" once it accepts connections,
// calls --downstream (if given) inside every request, and answers 200. It
// stops, delivering every span first, on SIGTERM, SIGINT, or when its
// standard input closes: a test that dies without stopping it closes the
// pipe, so the peer never outlives the test.
//
// call makes one GET inside a root span, prints the trace id (32 hex digits)
// on stdout, delivers its spans, and exits 0 only when the answer was 2xx.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const (
	// scope names the instrumentation scope of the spans gopeer starts itself.
	scope = "spanlite.dev/gopeer"
	// batchTimeout is how long a finished span may wait in the batch before
	// export. Far below the SDK's 5 s default, so tests polling Jaeger see
	// the spans of a running server soon.
	batchTimeout = 200 * time.Millisecond
	// shutdownTimeout bounds the final export and the server's drain.
	shutdownTimeout = 10 * time.Second
	// requestTimeout bounds one outgoing request, connect to last byte.
	requestTimeout = 10 * time.Second
)

// otelErrors counts what the SDK reported through otel.Handle (failed
// exports above all), so a peer that lost spans does not exit 0.
var otelErrors atomic.Int64

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "call":
		err = call(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gopeer %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gopeer serve --listen ADDR [--downstream URL] --otlp-endpoint URL [--service NAME]")
	fmt.Fprintln(os.Stderr, "       gopeer call --url URL --otlp-endpoint URL [--service NAME]")
	os.Exit(2)
}

// setUpTracing installs, globally, a tracer provider whose batch processor
// exports OTLP/HTTP protobuf to endpoint (a full URL such as
// http://127.0.0.1:4318/v1/traces) under service.name service, and the W3C
// Trace Context and Baggage propagators. otelhttp picks both up from the
// globals.
func setUpTracing(ctx context.Context, endpoint, service string) (*sdktrace.TracerProvider, error) {
	if endpoint == "" {
		return nil, errors.New("--otlp-endpoint is required")
	}
	exporter, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(endpoint),
		otlptracehttp.WithInsecure(),
	)
	if err != nil {
		return nil, fmt.Errorf("creating the OTLP exporter: %w", err)
	}
	// WithTelemetrySDK adds telemetry.sdk.{name,language,version}, which
	// the tests read to tell the Go spans from the Rust ones.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", service)),
	)
	if err != nil {
		return nil, fmt.Errorf("building the resource: %w", err)
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter, sdktrace.WithBatchTimeout(batchTimeout)),
		sdktrace.WithResource(res),
	)
	otel.SetTracerProvider(provider)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		otelErrors.Add(1)
		fmt.Fprintf(os.Stderr, "gopeer: opentelemetry: %v\n", err)
	}))
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{},
		propagation.Baggage{},
	))
	return provider, nil
}

// tracedClient is an HTTP client whose requests are CLIENT spans, children
// of the span in the request's context, with that context injected into
// the request headers.
func tracedClient() *http.Client {
	return &http.Client{
		Transport: otelhttp.NewTransport(http.DefaultTransport,
			otelhttp.WithSpanNameFormatter(methodName)),
		Timeout: requestTimeout,
	}
}

// methodName names HTTP spans by method alone, as the HTTP semantic
// conventions do when no route template is known.
func methodName(_ string, r *http.Request) string {
	return r.Method
}

// get GETs url in ctx and reads the whole body: the CLIENT span ends when
// the body is read to the end and closed.
func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer of %s: %w", url, err)
	}
	return resp.StatusCode, nil
}

func serve(args []string) error {
	flags := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := flags.String("listen", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	downstream := flags.String("downstream", "", "URL to GET inside every request (none if empty)")
	endpoint := flags.String("otlp-endpoint", "", "OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces")
	service := flags.String("service", "go-peer", "service.name of the resource")
	_ = flags.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	provider, err := setUpTracing(ctx, *endpoint, *service)
	if err != nil {
		return err
	}

	client := tracedClient()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if *downstream != "" {
			// r.Context() carries the SERVER span, so the call is its child.
			status, err := get(r.Context(), client, *downstream)
			if err != nil || status < 200 || status > 299 {
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprintf(w, "downstream %s: status %d, error %v\n", *downstream, status, err)
				return
			}
		}
		fmt.Fprintln(w, "go-peer: ok")
	})
	server := &http.Server{
		Handler:           otelhttp.NewHandler(mux, "serve", otelhttp.WithSpanNameFormatter(methodName)),
		ReadHeaderTimeout: requestTimeout,
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	// The line the test harness waits for: from here on, connections are
	// accepted (the kernel queues them until Serve picks them up).
	fmt.Printf("listening on %s\n", listener.Addr())

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()

	// Serve returns before Shutdown only on a real failure.
	var serveErr error
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	case serveErr = <-served:
	}

	// Let requests in flight finish, so their spans end, then deliver them.
	drain, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(drain); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("stopping the server: %w", err))
	}
	if err := provider.Shutdown(drain); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("delivering the spans: %w", err))
	}
	return errors.Join(serveErr, sdkErrors())
}

// sdkErrors is an error when the SDK reported any (see otelErrors).
func sdkErrors() error {
	if n := otelErrors.Load(); n > 0 {
		return fmt.Errorf("the OpenTelemetry SDK reported %d errors (above)", n)
	}
	return nil
}

func call(args []string) error {
	flags := flag.NewFlagSet("call", flag.ExitOnError)
	url := flags.String("url", "", "URL to GET")
	endpoint := flags.String("otlp-endpoint", "", "OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces")
	service := flags.String("service", "go-client", "service.name of the resource")
	_ = flags.Parse(args)
	if *url == "" {
		return errors.New("--url is required")
	}

	ctx := context.Background()
	provider, err := setUpTracing(ctx, *endpoint, *service)
	if err != nil {
		return err
	}

	// The root of the trace; the otelhttp CLIENT span is its child.
	ctx, span := otel.Tracer(scope).Start(ctx, "call", trace.WithSpanKind(trace.SpanKindInternal))
	status, callErr := get(ctx, tracedClient(), *url)
	span.End()
	fmt.Println(span.SpanContext().TraceID().String())

	flush, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := provider.Shutdown(flush); err != nil {
		callErr = errors.Join(callErr, fmt.Errorf("delivering the spans: %w", err))
	}
	if callErr == nil && (status < 200 || status > 299) {
		callErr = fmt.Errorf("GET %s: status %d", *url, status)
	}
	return errors.Join(callErr, sdkErrors())
}
