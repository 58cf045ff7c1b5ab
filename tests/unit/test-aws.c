/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EC2's answers and request bodies (cloud/aws-xml.c, cloud/aws-query.c):
 * the shapes of the brief (../shared/cloud-api-brief.md §2.1-2.2), exact
 * comparisons (10.0.0.1 is not 10.0.0.10), hostile bodies (not XML, an
 * entity, a field too long) refused without a crash.
 */
#include <errno.h>
#include <string.h>

#include "aws-creds.h"
#include "aws-query.h"
#include "aws-xml.h"
#include "cmocka-all.h"

#define S(x) x, strlen(x)

static const char error_body[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
	"exceeded.</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example"
	"</RequestID></Response>";

static void
errors_are_read_and_classified(void **state)
{
	struct cv_aws_error e;

	assert_int_equal(cv_aws_parse_error(S(error_body), &e), 1);
	assert_string_equal(e.code, "RequestLimitExceeded");
	assert_string_equal(e.message, "Request limit exceeded.");
	assert_string_equal(e.request_id, "ea966190-f9aa-478e-9ede-example");
	assert_int_equal(cv_aws_retry_class(e.code, 503), CV_AWS_THROTTLED);
	assert_int_equal(cv_aws_retry_class("InternalError", 500), CV_AWS_TRANSIENT);
	assert_int_equal(cv_aws_retry_class("", 502), CV_AWS_TRANSIENT);
	assert_int_equal(cv_aws_retry_class(NULL, 0), CV_AWS_TRANSIENT); /* no answer */
	assert_int_equal(cv_aws_retry_class("AuthFailure", 401), CV_AWS_CREDENTIALS);
	assert_int_equal(cv_aws_retry_class("RequestExpired", 400), CV_AWS_CLOCK);
	assert_int_equal(cv_aws_retry_class("UnauthorizedOperation", 403), CV_AWS_NO_RETRY);
	assert_int_equal(cv_aws_retry_class("InvalidRoute.NotFound", 400), CV_AWS_NO_RETRY);
	/* a success is no error answer; what is no XML says so */
	assert_int_equal(cv_aws_parse_error(S("<ReplaceRouteResponse><return>true</return>"
					       "</ReplaceRouteResponse>"), &e), 0);
	assert_int_equal(cv_aws_parse_error(S("Service Unavailable"), &e), -EBADMSG);
	assert_int_equal(cv_aws_parse_error("", 0, &e), -EBADMSG);
}

static const char enis_body[] =
	"<DescribeNetworkInterfacesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	"<requestId>1</requestId><networkInterfaceSet>"
	"<item><networkInterfaceId>eni-0aaa</networkInterfaceId><subnetId>subnet-1</subnetId>"
	"<privateIpAddressesSet><item><privateIpAddress>10.0.0.10</privateIpAddress>"
	"<primary>true</primary></item></privateIpAddressesSet></item>"
	"<item><networkInterfaceId>eni-0bbb</networkInterfaceId><subnetId>subnet-1</subnetId>"
	"<attachment><instanceId>i-0123</instanceId></attachment>"
	"<privateIpAddressesSet><item><privateIpAddress>10.0.0.11</privateIpAddress>"
	"<primary>true</primary></item><item><privateIpAddress>10.0.0.50</privateIpAddress>"
	"<primary>false</primary></item></privateIpAddressesSet>"
	"<tagSet><item><key>corovip:web</key><value>7.3</value></item></tagSet></item>"
	"</networkInterfaceSet></DescribeNetworkInterfacesResponse>";

static void
an_eni_is_found_by_id_with_its_ips_and_tags(void **state)
{
	struct cv_aws_eni eni;

	assert_int_equal(cv_aws_parse_eni(S(enis_body), "eni-0bbb", &eni), 1);
	assert_string_equal(eni.id, "eni-0bbb");
	assert_string_equal(eni.instance, "i-0123");
	assert_int_equal(eni.n_ips, 2);
	assert_true(cv_aws_eni_has_ip(&eni, "10.0.0.50"));
	assert_false(cv_aws_eni_has_ip(&eni, "10.0.0.5")); /* exact, not a prefix */
	assert_false(cv_aws_eni_has_ip(&eni, "10.0.0.500"));
	assert_string_equal(cv_aws_tag(&eni.tags, "corovip:web"), "7.3");
	assert_null(cv_aws_tag(&eni.tags, "corovip:db"));
	assert_int_equal(cv_aws_parse_eni(S(enis_body), "eni-0aaa", &eni), 1);
	assert_false(cv_aws_eni_has_ip(&eni, "10.0.0.1")); /* 10.0.0.10 only */
	assert_int_equal(eni.tags.n, 0);
	assert_int_equal(cv_aws_parse_eni(S(enis_body), "eni-0ccc", &eni), 0);
}

/* A filtered read (the ENIs that have an address): their ids, bounded. */
static void
the_enis_listed_are_named_in_order(void **state)
{
	char ids[2][CV_AWS_ID_MAX], one[1][CV_AWS_ID_MAX];

	assert_int_equal(cv_aws_parse_eni_ids(S(enis_body), ids, 2), 2);
	assert_string_equal(ids[0], "eni-0aaa");
	assert_string_equal(ids[1], "eni-0bbb");
	assert_int_equal(cv_aws_parse_eni_ids(S(enis_body), one, 1), -E2BIG);
	assert_int_equal(cv_aws_parse_eni_ids(S("<DescribeNetworkInterfacesResponse>"
						 "<networkInterfaceSet/></DescribeNetworkInterfacesResponse>"),
					      ids, 2), 0);
	assert_int_equal(cv_aws_parse_eni_ids(S("no XML"), ids, 2), -EBADMSG);
}

static const char tables_body[] =
	"<DescribeRouteTablesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	"<requestId>7f5d</requestId><routeTableSet><item>"
	"<routeTableId>rtb-0123</routeTableId><vpcId>vpc-0aa</vpcId><routeSet>"
	"<item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local"
	"</gatewayId><state>active</state></item>"
	"<item><destinationCidrBlock>192.168.10.10/32</destinationCidrBlock><instanceId>i-0abc"
	"</instanceId><networkInterfaceId>eni-0bbb</networkInterfaceId><state>active</state>"
	"</item><item><destinationCidrBlock>192.168.10.11/32</destinationCidrBlock>"
	"<networkInterfaceId>eni-0aaa</networkInterfaceId><state>blackhole</state></item>"
	"</routeSet><associationSet/><tagSet><item><key>corovip:ovl</key><value>9.1</value>"
	"</item></tagSet></item></routeTableSet></DescribeRouteTablesResponse>";

static void
a_route_is_found_by_table_and_exact_destination(void **state)
{
	struct cv_aws_route r;

	assert_int_equal(cv_aws_parse_route(S(tables_body), "rtb-0123", "192.168.10.10/32", &r), 1);
	assert_string_equal(r.eni, "eni-0bbb");
	assert_string_equal(r.instance, "i-0abc");
	assert_true(r.active);
	assert_string_equal(cv_aws_tag(&r.tags, "corovip:ovl"), "9.1");
	assert_int_equal(cv_aws_parse_route(S(tables_body), "rtb-0123", "192.168.10.11/32", &r), 1);
	assert_false(r.active); /* blackhole: nobody's */
	assert_int_equal(cv_aws_parse_route(S(tables_body), "rtb-0123", "192.168.10.1/32", &r), 0);
	assert_int_equal(cv_aws_parse_route(S(tables_body), "rtb-0999", "192.168.10.10/32", &r), 0);
}

static const char addresses_body[] =
	"<DescribeAddressesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	"<requestId>2</requestId><addressesSet><item><publicIp>198.51.100.7</publicIp>"
	"<allocationId>eipalloc-01</allocationId><domain>vpc</domain>"
	"<associationId>eipassoc-09</associationId><networkInterfaceId>eni-0bbb"
	"</networkInterfaceId><privateIpAddress>10.0.0.11</privateIpAddress>"
	"<tagSet><item><key>corovip:pub</key><value>4.2</value></item></tagSet></item>"
	"</addressesSet></DescribeAddressesResponse>";

static void
an_address_and_a_mutations_answer_are_read(void **state)
{
	struct cv_aws_address a;
	char v[64];

	assert_int_equal(cv_aws_parse_address(S(addresses_body), "eipalloc-01", &a), 1);
	assert_string_equal(a.association, "eipassoc-09");
	assert_string_equal(a.eni, "eni-0bbb");
	assert_string_equal(a.private_ip, "10.0.0.11");
	assert_string_equal(a.public_ip, "198.51.100.7");
	assert_string_equal(cv_aws_tag(&a.tags, "corovip:pub"), "4.2");
	assert_int_equal(cv_aws_parse_address(S(addresses_body), "eipalloc-02", &a), 0);
	assert_int_equal(cv_aws_parse_value(S("<AssociateAddressResponse><requestId>3</requestId>"
					       "<associationId>eipassoc-10</associationId>"
					       "</AssociateAddressResponse>"),
					     "associationId", v, sizeof(v)), 1);
	assert_string_equal(v, "eipassoc-10");
	assert_int_equal(cv_aws_parse_value(S("<ReplaceRouteResponse><return>true</return>"
					       "</ReplaceRouteResponse>"), "return", v, sizeof(v)),
			 1);
	assert_string_equal(v, "true");
	assert_int_equal(cv_aws_parse_value(S("<X/>"), "return", v, sizeof(v)), 0);
}

/* Hostile or broken bodies: refused, nothing read from outside the body. */
static void
hostile_bodies_are_refused(void **state)
{
	static const char entity[] =
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<Response><Errors><Error><Code>&x;</Code></Error></Errors></Response>";
	char long_id[300] = "<DescribeAddressesResponse><addressesSet><item><allocationId>eipalloc-01"
			    "</allocationId><associationId>";
	struct cv_aws_address a;
	struct cv_aws_error e;
	struct cv_aws_eni eni;

	/* the entity is not expanded: its code is empty, never the file */
	if (cv_aws_parse_error(S(entity), &e) == 1)
		assert_null(strstr(e.code, "root:"));
	memset(long_id + strlen(long_id), 'a', 100);
	strcpy(long_id + strlen(long_id) + 0, "</associationId></item></addressesSet>"
					      "</DescribeAddressesResponse>");
	assert_int_equal(cv_aws_parse_address(S(long_id), "eipalloc-01", &a), -EBADMSG);
	assert_int_equal(cv_aws_parse_eni(S("<DescribeNetworkInterfacesResponse><networkInterf"),
					  NULL, &eni), -EBADMSG);
	assert_int_equal(cv_aws_parse_eni(S("\x01\x02\xff"), NULL, &eni), -EBADMSG);
}

static void
query_bodies_are_percent_encoded(void **state)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf b = {};

	/* the derived vector ec2-replaceroute's body */
	cv_aws_query_start(&b, "ReplaceRoute");
	cv_aws_query_add(&b, "RouteTableId", "rtb-0123456789abcdef0");
	cv_aws_query_add(&b, "DestinationCidrBlock", "192.168.10.10/32");
	cv_aws_query_add(&b, "NetworkInterfaceId", "eni-0123456789abcdef0");
	assert_int_equal(b.err, 0);
	assert_string_equal(b.buf, "Action=ReplaceRoute&Version=2016-11-15&RouteTableId=rtb-"
				   "0123456789abcdef0&DestinationCidrBlock=192.168.10.10%2F32&"
				   "NetworkInterfaceId=eni-0123456789abcdef0");
	cv_strbuf_done(&b);
	cv_aws_query_start(&b, "CreateTags");
	cv_aws_query_add_nth(&b, "ResourceId", 1, "eni-0bbb");
	cv_aws_query_add(&b, "Tag.1.Key", "corovip:web");
	cv_aws_query_add(&b, "Tag.1.Value", "a b+c~d");
	assert_string_equal(b.buf, "Action=CreateTags&Version=2016-11-15&ResourceId.1=eni-0bbb&"
				   "Tag.1.Key=corovip%3Aweb&Tag.1.Value=a%20b%2Bc~d");
}

static void
credentials_from_a_file_and_from_imds(void **state)
{
	static const char file[] = "# keys\n[default]\naws_access_key_id = AKIDDEFAULT\n"
				   "aws_secret_access_key=s1\n\n[prod]\r\n"
				   "aws_access_key_id=AKIDPROD\r\n aws_secret_access_key = s/2+x \r\n"
				   "aws_session_token=tok\n[prod-2]\naws_access_key_id=NOPE\n";
	static const char imds[] = "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", "
				   "\"AccessKeyId\": \"ASIAX\", \"SecretAccessKey\": \"sec\", "
				   "\"Token\": \"tok\", \"Expiration\": \"2026-03-01T18:00:00Z\"}";
	struct cv_aws_creds c;
	char err[128];
	int64_t t;

	assert_int_equal(cv_aws_creds_from_file(S(file), "prod", &c, err, sizeof(err)), 0);
	assert_string_equal(c.key, "AKIDPROD");
	assert_string_equal(c.secret, "s/2+x");
	assert_string_equal(c.token, "tok");
	assert_int_equal(cv_aws_creds_from_file(S(file), "default", &c, err, sizeof(err)), 0);
	assert_string_equal(c.key, "AKIDDEFAULT");
	assert_string_equal(c.token, "");
	assert_int_equal(cv_aws_creds_from_file(S(file), "prod-2", &c, err, sizeof(err)), -ENOENT);
	assert_int_equal(cv_aws_creds_from_file(S(file), "none", &c, err, sizeof(err)), -ENOENT);
	assert_int_equal(cv_aws_creds_from_imds(S(imds), &c, err, sizeof(err)), 0);
	assert_string_equal(c.key, "ASIAX");
	assert_int_equal(cv_aws_parse_time("2026-03-01T18:00:00Z", &t), 0);
	assert_true(c.expires_unix_s == t && t == INT64_C(1772388000));
	assert_int_equal(cv_aws_creds_from_imds(S("{\"Code\": \"AssumeRoleUnauthorizedAccess\"}"),
						&c, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "AssumeRoleUnauthorizedAccess"));
	assert_int_equal(cv_aws_creds_from_imds(S("{\"Code\": \"Success\", \"AccessKeyId\": \"A\"}"),
						&c, err, sizeof(err)), -EBADMSG);
	assert_string_equal(c.key, ""); /* nothing half-taken */
	assert_int_equal(cv_aws_creds_from_imds(S("not json"), &c, err, sizeof(err)), -EBADMSG);
	assert_int_equal(cv_aws_parse_time("2026-03-01 18:00:00", &t), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errors_are_read_and_classified),
		cmocka_unit_test(an_eni_is_found_by_id_with_its_ips_and_tags),
		cmocka_unit_test(the_enis_listed_are_named_in_order),
		cmocka_unit_test(a_route_is_found_by_table_and_exact_destination),
		cmocka_unit_test(an_address_and_a_mutations_answer_are_read),
		cmocka_unit_test(hostile_bodies_are_refused),
		cmocka_unit_test(query_bodies_are_percent_encoded),
		cmocka_unit_test(credentials_from_a_file_and_from_imds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
