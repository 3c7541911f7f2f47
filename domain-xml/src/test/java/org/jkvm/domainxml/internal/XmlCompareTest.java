package org.jkvm.domainxml.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The corpus test's notion of "no loss" must catch losses, or it proves nothing. */
class XmlCompareTest {
    private static final String BASE = "<domain type='kvm' xmlns:q='urn:q'><name>a</name><q:x v='1'/>"
            + "<devices><disk device='disk'/><interface type='user'/><disk device='cdrom'/></devices></domain>";

    @Test
    void equalUpToWhitespaceAttributeOrderPrefixesAndSiblingOrder() {
        assertNull(XmlCompare.firstDifference(BASE, "<domain xmlns:z='urn:q' type=\"kvm\">\n  <z:x v='1'/>\n"
                + "  <name> a </name><!-- c -->\n  <devices><disk device='disk'/><interface type='user'/>"
                + "<disk device='cdrom'/></devices></domain>"));
    }

    @Test
    void catchesEveryKindOfLoss() {
        assertEquals("/domain: attributes {type=kvm} became {}", XmlCompare.firstDifference(BASE,
                BASE.replace(" type='kvm'", "")));
        assertEquals("/domain/name[2]: text 'a' became 'b'", XmlCompare.firstDifference(BASE,
                BASE.replace(">a<", ">b<")));
        assertEquals("/domain: 3 child elements became 2 (first unmatched: <{urn:q}x>)",
                XmlCompare.firstDifference(BASE, BASE.replace("<q:x v='1'/>", "")));
        assertEquals("/domain/{urn:q}x[3]: element {urn:q}x became {urn:other}x", XmlCompare.firstDifference(BASE,
                BASE.replace("xmlns:q='urn:q'", "xmlns:q='urn:other'")));
        assertEquals("/domain/devices[1]/disk[1]: element disk became interface", XmlCompare.firstDifference(BASE,
                BASE.replace("<devices><disk device='disk'/><interface type='user'/>",
                        "<devices><interface type='user'/><disk device='disk'/>")), "device order is significant");
    }
}
